#include "services/common/lifecycle/nurture_config.h"

#include <algorithm>
#include <set>

#include "services/common/base/strings.h"
#include "services/common/lifecycle/conditions.h"
#include "services/common/lifecycle/stage_model.h"

namespace leadflow::lifecycle {
namespace {

int64_t Millis(const google::protobuf::Duration& d) {
  return d.seconds() * 1000 + d.nanos() / 1000000;
}

template <typename C, typename V>
bool Contains(const C& c, const V& v) {
  return std::find(c.begin(), c.end(), v) != c.end();
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
    if (!IsConfigId(t.track_id())) {
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
      ValidateCondition(t.conditions(k), StrCat(at, ".conditions[", k, "]"), &out);
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

bool NurtureAllowed(const v1::NurtureConfig& nurture, v1::DisqualificationReason reason) {
  for (const v1::NurtureTrack& t : nurture.tracks()) {
    const bool takes_disqualified =
        std::find(t.recycle_reasons().begin(), t.recycle_reasons().end(),
                  v1::RECYCLE_REASON_DISQUALIFIED) != t.recycle_reasons().end();
    if (takes_disqualified &&
        std::find(t.disqualification_reasons().begin(), t.disqualification_reasons().end(),
                  reason) != t.disqualification_reasons().end()) {
      return true;
    }
  }
  return false;
}

}  // namespace leadflow::lifecycle
