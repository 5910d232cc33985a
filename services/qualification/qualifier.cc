#include "services/qualification/qualifier.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "services/common/base/strings.h"
#include "services/common/base/words.h"
#include "services/common/events/lead_events.h"
#include "services/common/lifecycle/nurture_config.h"
#include "services/common/lifecycle/stage_model.h"

namespace leadflow::qualification {
namespace {

using events::MillisFromTimestamp;
using events::TimestampFromMillis;

// Engagements older than this many half-lives are worth < 1e-6 of their points: they are pruned
// from the kept list (and only their count is kept, for the caps).
constexpr double kPruneHalfLives = 20;
// At most this many engagements are kept per lead; older ones are pruned first.
constexpr int kMaxKeptEngagements = 200;

// FNV-1a, 64 bits: a stable fingerprint of an event id for the engagement dedup.
uint64_t Fingerprint(std::string_view id) {
  uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : id) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}
// Scores closer than this are "the same" (no new LeadScored).
constexpr double kScoreEpsilon = 0.005;

std::string TypeWords(int type) {
  return EnumWords(v1::EngagementType_Name(static_cast<v1::EngagementType>(type)),
                   "ENGAGEMENT_TYPE_");
}
v1::Reason MakeReason(std::string code, std::string text) {
  v1::Reason r;
  r.set_code(std::move(code));
  r.set_text(std::move(text));
  return r;
}

v1::Reason DisqualificationReasonOf(const v1::FitRule& rule) {
  return MakeReason(StrCat("fit.", rule.rule_id()),
                    rule.description().empty() ? rule.rule_id() : rule.description());
}

bool Terminal(v1::Stage s) {
  return s == v1::STAGE_ARCHIVED || s == v1::STAGE_ERASED || s == v1::STAGE_WON;
}

CapsUsed CapsUsedOf(const v1::QualificationState& state);
void InsertByTime(v1::QualificationState* state, v1::QualifiedEngagement entry);

// The names of an engagement type: id "demo_request", code "engagement.demo_request", words "demo
// request" (computed once).
struct TypeNames {
  std::string id;
  std::string code;
  std::string words;
};
const TypeNames& NamesOf(int type) {
  static const std::vector<TypeNames> kNames = [] {
    std::vector<TypeNames> out(32);
    for (int t = 0; t < 32; ++t) {
      if (!v1::EngagementType_IsValid(t)) continue;
      out[t].id =
          AsciiStrToLower(v1::EngagementType_Name(static_cast<v1::EngagementType>(t)).substr(16));
      out[t].code = "engagement." + out[t].id;
      out[t].words = TypeWords(t);
    }
    return out;
  }();
  return kNames[static_cast<size_t>(type >= 0 && type < 32 ? type : 0)];
}

// A score and what explaining it needs. Explanations (texts) are built only when they are
// published or asked for: the hot path is the numbers.
struct Scored {
  v1::ScoreSnapshot snapshot;
  FitResult fit;
  std::vector<EngagementFact> facts;
  EngagementResult engagement;
  v1::EngagementType hand_raiser_type = v1::ENGAGEMENT_TYPE_UNSPECIFIED;
};

Scored ScoreLead(const v1::QualificationState& state, const QualificationConfig& config,
                 int64_t at_ms) {
  Scored out;
  const v1::Lead& lead = state.lead();
  out.fit = config.icp.ScoreFit(lead);
  out.facts = EngagementFacts(state);
  const CapsUsed used = CapsUsedOf(state);
  out.engagement = config.icp.ScoreEngagement(out.facts, at_ms, &used);
  // The latest hand-raiser of the cycle, for LeadQualified.hand_raiser_type.
  for (const v1::QualifiedEngagement& e : state.engagements()) {
    for (int t : config.icp.config().engagement().hand_raiser_types()) {
      if (t == e.type()) out.hand_raiser_type = e.type();
    }
  }
  v1::ScoreSnapshot& s = out.snapshot;
  s.set_fit_grade(out.fit.grade);
  s.set_fit_score(out.fit.score);
  s.set_engagement_score(out.engagement.score);
  std::optional<double> predictive;
  if (config.model.has_value()) {
    predictive =
        config.model
            ->Predict(lead, out.fit.score, out.fit.grade, out.engagement.score, /*explain=*/false)
            .score;
    s.set_predictive_score(*predictive);
    s.set_model_version(config.model->version());
  }
  s.set_icp_version(config.icp_version);
  *s.mutable_scored_at() = TimestampFromMillis(at_ms);
  s.set_total_score(
      BlendTotal(config.icp.config().blend(), out.fit.score, out.engagement.score, predictive));
  return out;
}

// Every contribution behind a score: the fit rules that matched, the engagement per type (count,
// capped, points after decay), the model's features.
template <typename Add>
void Contributions(const QualificationConfig& config, const v1::Lead& lead, const Scored& scored,
                   Add add) {
  for (v1::ScoreContribution& c : config.icp.Explain(scored.fit)) add(std::move(c));
  struct PerType {
    int count = 0;
    int capped = 0;
    double points = 0;
  };
  std::map<int, PerType> per_type;
  for (size_t i = 0; i < scored.facts.size(); ++i) {
    PerType& p = per_type[static_cast<int>(scored.facts[i].type)];
    ++p.count;
    p.points += scored.engagement.points[i];
    if (!scored.engagement.counted[i]) ++p.capped;
  }
  for (const auto& [type, p] : per_type) {
    const TypeNames& names = NamesOf(type);
    v1::ScoreContribution c;
    c.set_component(v1::SCORE_COMPONENT_ENGAGEMENT);
    c.set_rule_id(names.id);
    c.set_points(p.points);  // after decay and caps
    v1::Reason& reason = *c.mutable_reason();
    reason.set_code(names.code);
    std::string& text = *reason.mutable_text();
    text.append(std::to_string(p.count)).append(" x ").append(names.words);
    if (config.icp.weight(type) == 0) {
      text.append(" (no points in the ICP)");
    } else if (p.capped > 0) {
      text.append(", ").append(std::to_string(p.capped)).append(" over the cap");
    }
    add(std::move(c));
  }
  if (config.model.has_value()) {
    PredictiveResult p =
        config.model->Predict(lead, scored.fit.score, scored.fit.grade, scored.engagement.score,
                              /*explain=*/true);
    for (v1::ScoreContribution& c : p.contributions) add(std::move(c));
  }
}

bool SameScore(const v1::ScoreSnapshot& a, const v1::ScoreSnapshot& b) {
  auto near = [](double x, double y) { return std::fabs(x - y) < kScoreEpsilon; };
  return a.fit_grade() == b.fit_grade() && a.icp_version() == b.icp_version() &&
         a.model_version() == b.model_version() && near(a.fit_score(), b.fit_score()) &&
         near(a.engagement_score(), b.engagement_score()) &&
         near(a.total_score(), b.total_score()) &&
         a.has_predictive_score() == b.has_predictive_score() &&
         near(a.predictive_score(), b.predictive_score());
}

// The engagement the gate asks of a lead of `grade` on the score path; nullopt = none suffices.
std::optional<double> EngagementNeeded(const v1::StageGate& gate, v1::FitGrade grade) {
  if (gate.grade_thresholds_size() > 0) {
    for (const v1::GradeEngagementThreshold& t : gate.grade_thresholds()) {
      if (t.grade() == grade) return t.min_engagement_score();
    }
    return std::nullopt;
  }
  if (gate.min_fit_grade() == v1::FIT_GRADE_UNSPECIFIED || grade == v1::FIT_GRADE_UNSPECIFIED ||
      grade > gate.min_fit_grade()) {
    return std::nullopt;
  }
  return gate.min_engagement_score();
}

lifecycle::GateResult GateOf(const v1::StageGate& gate, const Scored& scored) {
  const v1::ScoreSnapshot& s = scored.snapshot;
  std::optional<double> predictive;
  if (s.has_predictive_score()) predictive = s.predictive_score();
  return lifecycle::EvaluateGate(gate, s.fit_grade(), s.engagement_score(), predictive,
                                 scored.engagement.hand_raiser);
}

// Why the gate said what it said, e.g. "grade A, engagement 72 >= 20".
v1::Reason GateReason(const v1::StageGate& gate, const Scored& scored,
                      lifecycle::GateResult result) {
  const v1::ScoreSnapshot& s = scored.snapshot;
  const std::string grade = GradeLetter(s.fit_grade());
  const std::optional<double> needed = EngagementNeeded(gate, s.fit_grade());
  switch (result) {
    case lifecycle::GateResult::kPassedOnScore:
      return MakeReason(
          "gate.fit_and_engagement",
          StrCat("grade ", grade, ", engagement ", FormatNumber(s.engagement_score(), 1),
                 " >= ", FormatNumber(needed.value_or(0), 1)));
    case lifecycle::GateResult::kPassedAsHandRaiser:
      return MakeReason("gate.hand_raiser",
                        StrCat(TypeWords(scored.hand_raiser_type), " from a grade ", grade,
                               " lead (hand-raiser path: grade ",
                               GradeLetter(gate.hand_raiser_min_fit_grade()), " or better)"));
    case lifecycle::GateResult::kNotPassed:
      break;
  }
  if (!needed.has_value()) {
    return MakeReason(
        "gate.grade_below",
        StrCat("grade ", grade, " does not qualify on score",
               scored.engagement.hand_raiser
                   ? StrCat("; a hand-raiser needs grade ",
                            GradeLetter(gate.hand_raiser_min_fit_grade()), " or better")
                   : std::string()));
  }
  if (s.engagement_score() < *needed) {
    return MakeReason("gate.below_engagement",
                      StrCat("engagement ", FormatNumber(s.engagement_score(), 1), " < ",
                             FormatNumber(*needed, 1), " needed for grade ", grade));
  }
  return MakeReason("gate.below_predictive",
                    StrCat("predictive ", FormatNumber(s.predictive_score(), 1), " < ",
                           FormatNumber(gate.min_predictive_score(), 1)));
}

// Drops engagements beyond the decay horizon or the list bound. Of the dropped, those that used a
// slot of their type's per-cycle cap are counted per type, so the cap stays exact.
void Prune(v1::QualificationState* state, const CompiledIcp& icp, int64_t at_ms) {
  const google::protobuf::Duration& hl = icp.config().engagement().half_life();
  const double half_life_ms = static_cast<double>(hl.seconds()) * 1000.0 + hl.nanos() / 1e6;
  const int64_t horizon =
      half_life_ms > 0 ? at_ms - static_cast<int64_t>(half_life_ms * kPruneHalfLives) : INT64_MIN;
  int drop = 0;
  while (drop < state->engagements_size() &&
         (state->engagements(drop).occurred_at_ms() < horizon ||
          state->engagements_size() - drop > kMaxKeptEngagements)) {
    ++drop;
  }
  if (drop == 0) return;
  const CapsUsed before = CapsUsedOf(*state);
  const EngagementResult scored = icp.ScoreEngagement(EngagementFacts(*state), at_ms, &before);
  std::map<int, int> counts;
  for (const v1::PrunedEngagements& p : state->pruned()) counts[p.type()] += p.count();
  for (int i = 0; i < drop; ++i) {
    if (scored.counted[static_cast<size_t>(i)]) ++counts[state->engagements(i).type()];
  }
  state->mutable_engagements()->DeleteSubrange(0, drop);
  state->clear_pruned();
  for (const auto& [type, count] : counts) {
    if (count == 0) continue;
    v1::PrunedEngagements* p = state->add_pruned();
    p->set_type(static_cast<v1::EngagementType>(type));
    p->set_count(count);
  }
}

// The per-cycle cap slots that pruned engagements used up, by type.
CapsUsed CapsUsedOf(const v1::QualificationState& state) {
  CapsUsed used{};
  for (const v1::PrunedEngagements& p : state.pruned()) {
    if (p.type() > 0 && p.type() < 32) used[static_cast<size_t>(p.type())] += p.count();
  }
  return used;
}

// Adds an engagement keeping the list in time order (engagements can arrive late).
void InsertByTime(v1::QualificationState* state, v1::QualifiedEngagement entry) {
  auto* list = state->mutable_engagements();
  int pos = list->size();
  while (pos > 0 && list->Get(pos - 1).occurred_at_ms() > entry.occurred_at_ms()) --pos;
  *list->Add() = std::move(entry);
  for (int i = list->size() - 1; i > pos; --i) list->SwapElements(i, i - 1);
}

void SetStage(v1::QualificationState* state, v1::Stage stage, int64_t at_ms) {
  state->mutable_lead()->set_stage(stage);
  *state->mutable_lead()->mutable_stage_entered_at() = TimestampFromMillis(at_ms);
}

// Scores the lead, records the score and, for an INQUIRY, decides the gates.
void Evaluate(const v1::LeadEvent& cause, v1::ScoreTrigger trigger,
              const QualificationConfig& config, int64_t at_ms, int64_t now_ms, Decision* d) {
  v1::QualificationState& state = d->state;
  v1::Lead& lead = *state.mutable_lead();
  Prune(&state, config.icp, at_ms);
  const Scored scored = ScoreLead(state, config, at_ms);

  auto derive = [&](std::string_view kind) {
    v1::LeadEvent e = events::DeriveEvent(cause, kind, v1::SERVICE_NAME_QUALIFICATION, now_ms);
    e.mutable_envelope()->set_cycle(lead.cycle());
    e.mutable_envelope()->set_config_version(config.version());
    return e;
  };

  const bool first = !lead.has_score() || lead.score().fit_grade() == v1::FIT_GRADE_UNSPECIFIED;
  if (first || !SameScore(lead.score(), scored.snapshot)) {
    v1::LeadEvent e = derive("scored");
    v1::LeadScored& out = *e.mutable_scored();
    *out.mutable_score() = scored.snapshot;
    Contributions(config, lead, scored,
                  [&](v1::ScoreContribution&& c) { *out.add_contributions() = std::move(c); });
    out.set_previous_fit_grade(state.previous_fit_grade());
    out.set_trigger(trigger);
    d->events.push_back(std::move(e));
    // The stored score is the last published one, so changes below the threshold add up until
    // they are published instead of being lost one by one.
    state.set_previous_fit_grade(scored.snapshot.fit_grade());
    *lead.mutable_score() = scored.snapshot;
    lead.set_config_version(config.version());
    state.set_scored_on_event_id(cause.envelope().event_id());
  }

  if (lead.stage() != v1::STAGE_INQUIRY) return;  // qualification decides only for inquiries
  if (scored.fit.disqualified_by >= 0) {
    if (!lifecycle::TransitionAllowed(config.stage_model, v1::STAGE_INQUIRY, v1::STAGE_DISQUALIFIED,
                                      "disqualified")) {
      return;
    }
    const v1::FitRule& rule = config.icp.config().rules(scored.fit.disqualified_by);
    v1::LeadEvent e = derive("disqualified");
    e.mutable_envelope()->mutable_stage_change()->set_from_stage(v1::STAGE_INQUIRY);
    e.mutable_envelope()->mutable_stage_change()->set_to_stage(v1::STAGE_DISQUALIFIED);
    v1::LeadDisqualified& out = *e.mutable_disqualified();
    out.set_reason_code(rule.disqualify());
    *out.mutable_reason() = DisqualificationReasonOf(rule);
    out.set_rule_id(rule.rule_id());
    *out.mutable_score() = scored.snapshot;
    out.set_nurture_allowed(lifecycle::NurtureAllowed(config.nurture, rule.disqualify()));
    d->events.push_back(std::move(e));
    SetStage(&state, v1::STAGE_DISQUALIFIED, at_ms);
    return;
  }
  const lifecycle::GateResult gate = GateOf(config.mql_gate, scored);
  if (gate == lifecycle::GateResult::kNotPassed ||
      !lifecycle::TransitionAllowed(config.stage_model, v1::STAGE_INQUIRY, v1::STAGE_MQL,
                                    "qualified")) {
    return;
  }
  v1::LeadEvent e = derive("qualified");
  e.mutable_envelope()->mutable_stage_change()->set_from_stage(v1::STAGE_INQUIRY);
  e.mutable_envelope()->mutable_stage_change()->set_to_stage(v1::STAGE_MQL);
  v1::LeadQualified& out = *e.mutable_qualified();
  const bool hand_raiser = gate == lifecycle::GateResult::kPassedAsHandRaiser;
  out.set_basis(hand_raiser ? v1::MQL_BASIS_HAND_RAISER : v1::MQL_BASIS_SCORE);
  *out.mutable_score() = scored.snapshot;
  if (hand_raiser) out.set_hand_raiser_type(scored.hand_raiser_type);
  *out.add_reasons() = GateReason(config.mql_gate, scored, gate);
  *out.mutable_person() = lead.person();
  *out.mutable_company() = lead.company();
  *out.mutable_first_touch() = lead.first_touch();
  *out.mutable_last_touch() = lead.last_touch();
  *out.mutable_consent() = lead.consent();
  d->events.push_back(std::move(e));
  SetStage(&state, v1::STAGE_MQL, at_ms);
}

absl::Status NotCaptured(const v1::LeadEvent& event) {
  return absl::FailedPreconditionError(StrCat("'", events::EventKind(event), "' for lead ",
                                              event.envelope().lead_id(),
                                              ", which qualification never saw captured"));
}

}  // namespace

int64_t QualificationConfig::version() const {
  return std::max({icp_version, stage_model_version, model_config_version, nurture_version});
}

absl::StatusOr<std::shared_ptr<const QualificationConfig>> BuildConfig(
    const v1::IcpConfig& icp, int64_t icp_version, const v1::StageModel& stage_model,
    int64_t stage_model_version, const v1::ScoringModel* model, int64_t model_config_version,
    const v1::NurtureConfig* nurture, int64_t nurture_version) {
  absl::StatusOr<CompiledIcp> compiled = CompiledIcp::Compile(icp);
  if (!compiled.ok()) return compiled.status();
  const v1::StageDefinition* mql = lifecycle::FindStage(stage_model, v1::STAGE_MQL);
  if (mql == nullptr) return absl::InvalidArgumentError("stage_model: has no MQL stage");
  auto out = std::make_shared<QualificationConfig>(
      QualificationConfig{std::move(*compiled), icp_version, stage_model, stage_model_version,
                          mql->gate(), std::nullopt, 0, v1::NurtureConfig(), 0});
  if (model != nullptr && model->active()) {
    absl::StatusOr<CompiledModel> m = CompiledModel::Compile(*model);
    if (!m.ok()) return m.status();
    out->model = std::move(*m);
    out->model_config_version = model_config_version;
  }
  if (nurture != nullptr) {
    out->nurture = *nurture;
    out->nurture_version = nurture_version;
  }
  return std::shared_ptr<const QualificationConfig>(std::move(out));
}

std::vector<EngagementFact> EngagementFacts(const v1::QualificationState& state) {
  std::vector<EngagementFact> facts;
  facts.reserve(static_cast<size_t>(state.engagements_size()));
  for (const v1::QualifiedEngagement& e : state.engagements()) {
    facts.push_back({e.type(), e.occurred_at_ms()});
  }
  return facts;
}

absl::StatusOr<Decision> Apply(std::optional<v1::QualificationState> current,
                               const v1::LeadEvent& event, const QualificationConfig& config,
                               int64_t now_ms) {
  const v1::EventEnvelope& env = event.envelope();
  if (env.lead_id().empty()) return absl::InvalidArgumentError("envelope.lead_id: is empty");
  if (env.event_id().empty()) return absl::InvalidArgumentError("envelope.event_id: is empty");
  const int64_t at_ms = MillisFromTimestamp(env.occurred_at());
  Decision d;
  const bool known = current.has_value();
  if (known) d.state = std::move(*current);
  v1::Lead& lead = *d.state.mutable_lead();
  v1::ScoreTrigger trigger = v1::SCORE_TRIGGER_UNSPECIFIED;

  switch (event.event_case()) {
    case v1::LeadEvent::kCaptured: {
      const v1::LeadCaptured& c = event.captured();
      if (!known) {
        lead.set_lead_id(env.lead_id());
        lead.set_cycle(std::max(1, env.cycle()));
        *lead.mutable_created_at() = env.occurred_at();
        SetStage(&d.state, v1::STAGE_INQUIRY, at_ms);
        *lead.mutable_first_touch() = c.first_touch();
        *lead.mutable_last_touch() = c.first_touch();
        lead.set_idempotency_key(c.idempotency_key());
      }
      lead.set_email_normalized(c.email_normalized());
      *lead.mutable_person() = c.person();
      *lead.mutable_company() = c.company();
      *lead.mutable_consent() = c.consent();
      *lead.mutable_custom_attributes() = c.custom_attributes();
      trigger = v1::SCORE_TRIGGER_CAPTURED;
      break;
    }
    case v1::LeadEvent::kUpdated: {
      if (!known) return NotCaptured(event);
      const v1::LeadUpdated& u = event.updated();
      *lead.mutable_person() = u.person();
      *lead.mutable_company() = u.company();
      *lead.mutable_consent() = u.consent();
      *lead.mutable_custom_attributes() = u.custom_attributes();
      if (u.has_last_touch()) *lead.mutable_last_touch() = u.last_touch();
      trigger = v1::SCORE_TRIGGER_UPDATED;
      break;
    }
    case v1::LeadEvent::kEngagementRecorded: {
      if (!known) return NotCaptured(event);
      const uint64_t fingerprint = Fingerprint(env.event_id());
      for (const v1::QualifiedEngagement& e : d.state.engagements()) {
        if (e.event_fingerprint() == fingerprint) {
          d.outcome = Outcome::kDuplicate;
          return d;
        }
      }
      if (Terminal(lead.stage())) {
        d.outcome = Outcome::kHeld;
        return d;
      }
      const v1::Engagement& en = event.engagement_recorded().engagement();
      v1::QualifiedEngagement entry;
      entry.set_type(en.type());
      entry.set_occurred_at_ms(en.has_occurred_at() ? MillisFromTimestamp(en.occurred_at())
                                                    : at_ms);
      entry.set_event_fingerprint(fingerprint);
      InsertByTime(&d.state, std::move(entry));
      lead.set_engagement_count(lead.engagement_count() + 1);
      if (en.has_occurred_at() &&
          MillisFromTimestamp(en.occurred_at()) > MillisFromTimestamp(lead.last_engaged_at())) {
        *lead.mutable_last_engaged_at() = en.occurred_at();
      }
      trigger = v1::SCORE_TRIGGER_ENGAGEMENT;
      break;
    }
    case v1::LeadEvent::kRecycled: {
      if (!known) return NotCaptured(event);
      // In nurture the lead is held: recycle decides when it comes back. A new engagement count
      // starts now; what the lead does in nurture counts for its next cycle.
      SetStage(&d.state, v1::STAGE_NURTURE, at_ms);
      lead.set_recycle_count(event.recycled().recycle_count());
      d.state.clear_engagements();
      d.state.clear_pruned();
      trigger = v1::SCORE_TRIGGER_RECYCLED;  // engagement restarts: scored (no gate in nurture)
      break;
    }
    case v1::LeadEvent::kNurtureReleased: {
      if (!known) return NotCaptured(event);
      const v1::LeadNurtureReleased& r = event.nurture_released();
      const int cycle =
          env.cycle() > 0 ? env.cycle() : std::max(r.previous_cycle(), lead.cycle()) + 1;
      if ((lead.stage() != v1::STAGE_NURTURE && lead.stage() != v1::STAGE_ARCHIVED) ||
          cycle <= lead.cycle()) {
        d.outcome = Outcome::kHeld;  // a stale or repeated release: the lead is not in nurture
        return d;
      }
      if (lead.stage() != v1::STAGE_NURTURE) {  // archived without a nurture period: start afresh
        d.state.clear_engagements();
        d.state.clear_pruned();
      }
      // The engagement that released it (it may arrive here before its engagement_recorded, or
      // never, while the lead was archived) counts for the new cycle, once.
      if (r.has_engagement() && r.engagement().type() != v1::ENGAGEMENT_TYPE_UNSPECIFIED) {
        const int64_t when = r.engagement().has_occurred_at()
                                 ? MillisFromTimestamp(r.engagement().occurred_at())
                                 : at_ms;
        bool recorded = false;
        for (const v1::QualifiedEngagement& e : d.state.engagements()) {
          recorded = recorded || (e.type() == r.engagement().type() && e.occurred_at_ms() == when);
        }
        if (!recorded) {
          v1::QualifiedEngagement entry;
          entry.set_type(r.engagement().type());
          entry.set_occurred_at_ms(when);
          entry.set_event_fingerprint(Fingerprint(env.event_id()));
          InsertByTime(&d.state, std::move(entry));
        }
      }
      lead.set_cycle(cycle);
      SetStage(&d.state, v1::STAGE_INQUIRY, at_ms);
      d.state.set_previous_fit_grade(v1::FIT_GRADE_UNSPECIFIED);
      lead.clear_score();  // a new cycle scores afresh
      trigger = v1::SCORE_TRIGGER_RELEASED;
      break;
    }
    case v1::LeadEvent::kArchived: {
      if (!known) return NotCaptured(event);
      SetStage(&d.state, v1::STAGE_ARCHIVED, at_ms);
      return d;
    }
    case v1::LeadEvent::kErased:
      d.outcome = Outcome::kErased;
      return d;
    default:
      d.outcome = Outcome::kIgnored;
      return d;
  }
  if (Terminal(lead.stage())) {
    d.outcome = Outcome::kHeld;
    return d;
  }
  *lead.mutable_updated_at() = env.occurred_at();
  Evaluate(event, trigger, config, at_ms, now_ms, &d);
  return d;
}

Decision Rescore(v1::QualificationState current, const std::string& command_id, int64_t at_ms,
                 const QualificationConfig& config, int64_t now_ms) {
  Decision d;
  d.state = std::move(current);
  // Never before the score it has (a command may have been queued before a later event).
  at_ms = std::max(at_ms, MillisFromTimestamp(d.state.lead().score().scored_at()));
  if (Terminal(d.state.lead().stage())) {
    d.outcome = Outcome::kHeld;
    return d;
  }
  // The cause of the events: the command, per lead (event ids stay unique per lead).
  v1::LeadEvent cause;
  v1::EventEnvelope& env = *cause.mutable_envelope();
  env.set_event_id(StrCat("rescore:", command_id, ":", d.state.lead().lead_id()));
  env.set_lead_id(d.state.lead().lead_id());
  *env.mutable_occurred_at() = TimestampFromMillis(at_ms);
  env.set_correlation_id(StrCat("rescore:", command_id));
  Evaluate(cause, v1::SCORE_TRIGGER_RESCORE, config, at_ms, now_ms, &d);
  return d;
}

Explanation ExplainState(const v1::QualificationState& state, const QualificationConfig& config) {
  Explanation out;
  const int64_t at_ms = MillisFromTimestamp(state.lead().score().scored_at());
  const Scored scored = ScoreLead(state, config, at_ms);
  Contributions(config, state.lead(), scored,
                [&](v1::ScoreContribution&& c) { out.contributions.push_back(std::move(c)); });
  out.config_differs = state.lead().score().icp_version() != config.icp_version ||
                       state.lead().score().model_version() != scored.snapshot.model_version();
  switch (state.lead().stage()) {
    case v1::STAGE_DISQUALIFIED:
      if (scored.fit.disqualified_by >= 0) {
        out.gate_result =
            DisqualificationReasonOf(config.icp.config().rules(scored.fit.disqualified_by));
      } else {
        out.gate_result = MakeReason("gate.disqualified", "disqualified earlier");
      }
      return out;
    case v1::STAGE_NURTURE:
      out.gate_result = MakeReason("gate.held", "in nurture: recycle releases it into a new cycle");
      return out;
    case v1::STAGE_ARCHIVED:
    case v1::STAGE_ERASED:
    case v1::STAGE_WON:
      out.gate_result = MakeReason("gate.held", "the lead's lifecycle has ended");
      return out;
    default:
      break;
  }
  const lifecycle::GateResult gate = GateOf(config.mql_gate, scored);
  out.passes_mql_gate = gate != lifecycle::GateResult::kNotPassed;
  out.gate_result = GateReason(config.mql_gate, scored, gate);
  return out;
}

void AddAccount(const v1::AccountRecord& account, v1::LeadQualified* qualified) {
  qualified->mutable_company()->set_account_id(account.account_id());
  qualified->set_existing_customer(account.is_customer());
  qualified->set_open_opportunity(account.has_open_opportunity());
}

}  // namespace leadflow::qualification
