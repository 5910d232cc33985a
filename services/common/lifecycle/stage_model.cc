#include "services/common/lifecycle/stage_model.h"

#include <set>

#include "leadflow/v1/lead.pb.h"
#include "services/common/base/strings.h"

namespace leadflow::lifecycle {
namespace {

// Grade a is at least as good as grade b (A best). An unset grade is never good enough.
bool AtLeast(v1::FitGrade a, v1::FitGrade b) {
  return a != v1::FIT_GRADE_UNSPECIFIED && b != v1::FIT_GRADE_UNSPECIFIED && a <= b;
}

std::string StageName(v1::Stage s) {
  return AsciiStrToLower(v1::Stage_Name(s).substr(6));
}  // "STAGE_"

}  // namespace

std::vector<ConfigViolation> ValidateStageModel(const v1::StageModel& model) {
  std::vector<ConfigViolation> out;
  auto add = [&](std::string path, std::string why) {
    out.push_back({std::move(path), std::move(why)});
  };
  std::set<int> defined;
  std::set<int> terminal;
  for (int i = 0; i < model.stages_size(); ++i) {
    const v1::StageDefinition& s = model.stages(i);
    const std::string at = StrCat("stages[", i, "]");
    if (s.stage() == v1::STAGE_UNSPECIFIED) {
      add(at + ".stage", "is required");
      continue;
    }
    if (!defined.insert(s.stage()).second)
      add(at + ".stage", StrCat("'", StageName(s.stage()), "' is defined twice"));
    if (s.owner() == v1::STAGE_OWNER_UNSPECIFIED) add(at + ".owner", "is required");
    if (s.terminal()) terminal.insert(s.stage());
    if (s.has_sla() && (s.sla().seconds() < 0 || s.sla().nanos() < 0))
      add(at + ".sla", "must not be negative");
    if (s.recycle_on_breach() && s.stage() != v1::STAGE_INQUIRY) {
      add(at + ".recycle_on_breach", "only INQUIRY recycles on an SLA breach");
    }
    const v1::StageGate& g = s.gate();
    if (g.min_engagement_score() < 0 || g.min_engagement_score() > 100) {
      add(at + ".gate.min_engagement_score", "must be within [0, 100]");
    }
    if (g.has_min_predictive_score() &&
        (g.min_predictive_score() < 0 || g.min_predictive_score() > 100)) {
      add(at + ".gate.min_predictive_score", "must be within [0, 100]");
    }
    std::set<int> grades;
    for (int k = 0; k < g.grade_thresholds_size(); ++k) {
      const v1::GradeEngagementThreshold& t = g.grade_thresholds(k);
      const std::string tat = StrCat(at, ".gate.grade_thresholds[", k, "]");
      if (t.grade() == v1::FIT_GRADE_UNSPECIFIED)
        add(tat + ".grade", "is required");
      else if (!grades.insert(t.grade()).second)
        add(tat + ".grade", "is listed twice");
      if (t.min_engagement_score() < 0 || t.min_engagement_score() > 100) {
        add(tat + ".min_engagement_score", "must be within [0, 100]");
      }
    }
    if (s.stage() == v1::STAGE_MQL && g.grade_thresholds_size() == 0 &&
        g.min_fit_grade() == v1::FIT_GRADE_UNSPECIFIED &&
        g.hand_raiser_min_fit_grade() == v1::FIT_GRADE_UNSPECIFIED) {
      add(at + ".gate",
          "no way into MQL: set grade_thresholds, min_fit_grade or hand_raiser_min_fit_grade");
    }
  }
  for (v1::Stage required : {v1::STAGE_INQUIRY, v1::STAGE_MQL, v1::STAGE_ERASED}) {
    if (defined.count(required) == 0)
      add("stages", StrCat("'", StageName(required), "' must be defined"));
  }
  const google::protobuf::OneofDescriptor* events =
      v1::LeadEvent::descriptor()->FindOneofByName("event");
  std::set<std::string> triggers;
  for (int i = 0; i < events->field_count(); ++i) triggers.insert(events->field(i)->name());
  for (int i = 0; i < model.transitions_size(); ++i) {
    const v1::StageTransition& t = model.transitions(i);
    const std::string at = StrCat("transitions[", i, "]");
    if (defined.count(t.from_stage()) == 0) add(at + ".from_stage", "is not a defined stage");
    if (defined.count(t.to_stage()) == 0) add(at + ".to_stage", "is not a defined stage");
    if (terminal.count(t.from_stage()) != 0 && t.to_stage() != v1::STAGE_ERASED) {
      add(at + ".from_stage",
          StrCat("'", StageName(t.from_stage()), "' is terminal: nothing leaves it"));
    }
    if (triggers.count(t.trigger()) == 0) {
      add(at + ".trigger",
          StrCat("'", t.trigger(), "' is not a LeadEvent (e.g. qualified, accepted, recycled)"));
    }
  }
  std::set<int> reasons;
  for (int i = 0; i < model.rejection_reasons_size(); ++i) {
    const v1::RejectionReasonOption& r = model.rejection_reasons(i);
    const std::string at = StrCat("rejection_reasons[", i, "]");
    if (r.reason() == v1::REJECTION_REASON_UNSPECIFIED) {
      add(at + ".reason", "is required");
    } else if (r.reason() == v1::REJECTION_REASON_SLA_EXPIRED) {
      add(at + ".reason", "sla_expired is given by handoff itself, not by a rep");
    } else if (!reasons.insert(r.reason()).second) {
      add(at + ".reason", "is listed twice");
    }
    if (r.display_name().empty()) add(at + ".display_name", "is required (the rep sees it)");
  }
  return out;
}

absl::StatusOr<v1::StageModel> LoadStageModelFile(const std::string& path) {
  v1::StageModel model;
  if (absl::Status s =
          config::LoadValidatedYamlFile(path, &model, [&] { return ValidateStageModel(model); });
      !s.ok()) {
    return s;
  }
  return model;
}

bool RejectionReasonAllowed(const v1::StageModel& model, v1::RejectionReason reason) {
  if (reason == v1::REJECTION_REASON_UNSPECIFIED || reason == v1::REJECTION_REASON_SLA_EXPIRED) {
    return false;
  }
  if (model.rejection_reasons_size() == 0) return v1::RejectionReason_IsValid(reason);
  for (const v1::RejectionReasonOption& r : model.rejection_reasons()) {
    if (r.reason() == reason) return true;
  }
  return false;
}

bool TransitionAllowed(const v1::StageModel& model, v1::Stage from, v1::Stage to,
                       std::string_view trigger) {
  if (to == v1::STAGE_ERASED) return true;
  for (const v1::StageTransition& t : model.transitions()) {
    if (t.from_stage() == from && t.to_stage() == to && t.trigger() == trigger) return true;
  }
  return false;
}

const v1::StageDefinition* FindStage(const v1::StageModel& model, v1::Stage stage) {
  for (const v1::StageDefinition& s : model.stages()) {
    if (s.stage() == stage) return &s;
  }
  return nullptr;
}

GateResult EvaluateGate(const v1::StageGate& gate, v1::FitGrade grade, double engagement_score,
                        std::optional<double> predictive_score, bool hand_raiser) {
  bool score_path = false;
  if (gate.grade_thresholds_size() > 0) {
    for (const v1::GradeEngagementThreshold& t : gate.grade_thresholds()) {
      if (t.grade() == grade && engagement_score >= t.min_engagement_score()) score_path = true;
    }
  } else if (gate.min_fit_grade() != v1::FIT_GRADE_UNSPECIFIED) {
    score_path =
        AtLeast(grade, gate.min_fit_grade()) && engagement_score >= gate.min_engagement_score();
  }
  if (score_path && gate.has_min_predictive_score()) {
    // A configured predictive minimum applies only when a model has produced a score.
    score_path = !predictive_score.has_value() || *predictive_score >= gate.min_predictive_score();
  }
  if (score_path) return GateResult::kPassedOnScore;
  if (hand_raiser && AtLeast(grade, gate.hand_raiser_min_fit_grade()))
    return GateResult::kPassedAsHandRaiser;
  return GateResult::kNotPassed;
}

}  // namespace leadflow::lifecycle
