#include "services/recycle/nurture.h"

#include <algorithm>
#include <set>

#include "services/common/base/strings.h"
#include "services/common/base/words.h"
#include "services/common/lifecycle/conditions.h"

namespace leadflow::recycle {
namespace {

int64_t Millis(const google::protobuf::Duration& d) {
  return d.seconds() * 1000 + d.nanos() / 1000000;
}

template <typename C, typename V>
bool Contains(const C& c, const V& v) {
  return std::find(c.begin(), c.end(), v) != c.end();
}

v1::Reason MakeReason(std::string code, std::string text) {
  v1::Reason r;
  r.set_code(std::move(code));
  r.set_text(std::move(text));
  return r;
}

std::string RecycleWords(v1::RecycleReason r) {
  return EnumWords(v1::RecycleReason_Name(r), "RECYCLE_REASON_");
}

std::string Detail(const RecycleInput& in) {
  switch (in.reason) {
    case v1::RECYCLE_REASON_REJECTED:
      return StrCat("rejected (",
                    EnumWords(v1::RejectionReason_Name(in.rejection), "REJECTION_REASON_"), ")");
    case v1::RECYCLE_REASON_DISQUALIFIED:
      return StrCat("disqualified (",
                    EnumWords(v1::DisqualificationReason_Name(in.disqualification),
                              "DISQUALIFICATION_REASON_"),
                    ")");
    case v1::RECYCLE_REASON_LOST:
      return StrCat("lost (", in.loss_reason_code.empty() ? "no reason" : in.loss_reason_code, ")");
    default:
      return RecycleWords(in.reason);
  }
}

bool ConditionsMatch(const v1::NurtureTrack& t, const v1::Lead* lead) {
  if (t.conditions_size() == 0) return true;
  if (lead == nullptr) return false;
  for (const v1::AttributeCondition& c : t.conditions()) {
    if (!lifecycle::CompiledCondition::Compile(c).Matches(*lead)) return false;
  }
  return true;
}

}  // namespace

std::vector<config::ConfigViolation> ValidateNurture(const v1::NurtureConfig& nurture) {
  std::vector<config::ConfigViolation> out;
  auto add = [&](std::string path, std::string why) {
    out.push_back({std::move(path), std::move(why)});
  };
  if (nurture.tracks_size() == 0) add("tracks", "at least one track is required");
  std::set<std::string> ids;
  for (int i = 0; i < nurture.tracks_size(); ++i) {
    const v1::NurtureTrack& t = nurture.tracks(i);
    const std::string at = StrCat("tracks[", i, "]");
    if (!lifecycle::IsConfigId(t.track_id())) {
      add(at + ".track_id", "1-64 of a-z, 0-9, '_', '.', '-'");
    } else if (!ids.insert(t.track_id()).second) {
      add(at + ".track_id", StrCat("'", t.track_id(), "' is used twice"));
    }
    if (t.recycle_reasons_size() == 0) add(at + ".recycle_reasons", "at least one reason");
    for (int k = 0; k < t.recycle_reasons_size(); ++k) {
      if (t.recycle_reasons(k) == v1::RECYCLE_REASON_UNSPECIFIED) {
        add(StrCat(at, ".recycle_reasons[", k, "]"), "is not a reason");
      }
    }
    if (Contains(t.recycle_reasons(), v1::RECYCLE_REASON_DISQUALIFIED) &&
        t.disqualification_reasons_size() == 0) {
      add(at + ".disqualification_reasons",
          "a track that takes disqualified leads names the disqualification reasons it nurtures");
    }
    if (Millis(t.recheck_interval()) <= 0)
      add(at + ".recheck_interval", "is required and positive");
    if (Millis(t.cadence()) < 0) add(at + ".cadence", "must not be negative");
    if (Millis(t.max_duration()) < 0) add(at + ".max_duration", "must not be negative (0 = none)");
    const v1::ReleaseThresholds& r = t.release();
    if (r.min_engagement_score() < 0 || r.min_engagement_score() > 100) {
      add(at + ".release.min_engagement_score", "must be 0 to 100");
    }
    if (r.min_engagements() < 0) add(at + ".release.min_engagements", "must not be negative");
    if (r.min_engagement_score() <= 0 && r.min_engagements() <= 0 && r.release_on_size() == 0) {
      add(at + ".release", "needs a way out: min_engagement_score, min_engagements or release_on");
    }
    for (int k = 0; k < t.conditions_size(); ++k) {
      lifecycle::ValidateCondition(t.conditions(k), StrCat(at, ".conditions[", k, "]"), &out);
    }
  }
  if (nurture.default_track_id().empty()) {
    add("default_track_id", "is required (recycles no track matches go there)");
  } else if (FindTrack(nurture, nurture.default_track_id()) == nullptr) {
    add("default_track_id", StrCat("'", nurture.default_track_id(), "' is not a track"));
  }
  if (nurture.recycle_limit() < 1) add("recycle_limit", "must be at least 1");
  for (int i = 0; i < nurture.archive_rejection_reasons_size(); ++i) {
    const v1::RejectionReason r = nurture.archive_rejection_reasons(i);
    if (r == v1::REJECTION_REASON_UNSPECIFIED) {
      add(StrCat("archive_rejection_reasons[", i, "]"), "is not a reason");
    }
  }
  return out;
}

absl::StatusOr<v1::NurtureConfig> LoadNurtureFile(const std::string& path) {
  v1::NurtureConfig nurture;
  if (absl::Status s =
          config::LoadValidatedYamlFile(path, &nurture, [&] { return ValidateNurture(nurture); });
      !s.ok()) {
    return s;
  }
  return nurture;
}

const v1::NurtureTrack* FindTrack(const v1::NurtureConfig& nurture, std::string_view track_id) {
  for (const v1::NurtureTrack& t : nurture.tracks()) {
    if (t.track_id() == track_id) return &t;
  }
  return nullptr;
}

TrackChoice ChooseTrack(const v1::NurtureConfig& nurture, const RecycleInput& in) {
  TrackChoice out;
  const std::string what = Detail(in);
  if (in.reason == v1::RECYCLE_REASON_REJECTED &&
      Contains(nurture.archive_rejection_reasons(), in.rejection)) {
    out.why = MakeReason("nurture.not_nurturable",
                         StrCat(what, ": the nurture config never nurtures this reason"));
    return out;
  }
  if (in.reason == v1::RECYCLE_REASON_LOST &&
      Contains(nurture.archive_loss_reason_codes(), in.loss_reason_code)) {
    out.why = MakeReason("nurture.not_nurturable",
                         StrCat(what, ": the nurture config never nurtures this loss reason"));
    return out;
  }
  for (const v1::NurtureTrack& t : nurture.tracks()) {
    if (!Contains(t.recycle_reasons(), in.reason)) continue;
    if (in.reason == v1::RECYCLE_REASON_REJECTED && t.rejection_reasons_size() > 0 &&
        !Contains(t.rejection_reasons(), in.rejection)) {
      continue;
    }
    if (in.reason == v1::RECYCLE_REASON_DISQUALIFIED &&
        !Contains(t.disqualification_reasons(), in.disqualification)) {
      continue;
    }
    if (in.reason == v1::RECYCLE_REASON_LOST && t.loss_reason_codes_size() > 0 &&
        !Contains(t.loss_reason_codes(), in.loss_reason_code)) {
      continue;
    }
    if (!ConditionsMatch(t, in.lead)) continue;
    out.track = &t;
    out.why = MakeReason("nurture.track_matched",
                         StrCat(what, " → track ", t.track_id(), " (", t.name(), ")"));
    return out;
  }
  if (in.reason == v1::RECYCLE_REASON_DISQUALIFIED) {
    out.why = MakeReason("nurture.not_nurturable",
                         StrCat(what, ": no nurture track takes this disqualification"));
    return out;
  }
  out.track = FindTrack(nurture, nurture.default_track_id());
  out.why = MakeReason("nurture.default_track",
                       StrCat(what, " → the default track ", nurture.default_track_id(),
                              " (no other track matched)"));
  return out;
}

}  // namespace leadflow::recycle
