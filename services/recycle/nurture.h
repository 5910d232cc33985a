// The nurture config (config/nurture.yaml), pure: its validation, and which track a recycled lead
// goes to — or whether it is archived instead (a reason that is never nurtured, or nothing fits).
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "leadflow/v1/config.pb.h"
#include "leadflow/v1/lead.pb.h"
#include "services/common/config/proto_yaml.h"

namespace leadflow::recycle {

// Everything wrong with a nurture config: tracks with unique config ids, at least one recycle
// reason each, a positive re-check interval, durations not negative, release thresholds in range
// (score 0–100, counts not negative, at least one way to be released), valid conditions; a default
// track that exists; a recycle limit of at least 1; known reasons in the archive lists.
std::vector<config::ConfigViolation> ValidateNurture(const v1::NurtureConfig& nurture);

// Loads and validates config/nurture.yaml.
absl::StatusOr<v1::NurtureConfig> LoadNurtureFile(const std::string& path);

// Why a lead is going back to marketing.
struct RecycleInput {
  v1::RecycleReason reason = v1::RECYCLE_REASON_UNSPECIFIED;
  v1::RejectionReason rejection = v1::REJECTION_REASON_UNSPECIFIED;  // for REJECTED
  v1::DisqualificationReason disqualification = v1::DISQUALIFICATION_REASON_UNSPECIFIED;
  std::string loss_reason_code;    // for LOST
  const v1::Lead* lead = nullptr;  // profile and score, for the tracks' conditions
};

struct TrackChoice {
  const v1::NurtureTrack* track = nullptr;  // null: archive
  v1::Reason why;  // why this track, or why archived (code "nurture.*", text in plain words)
};

// The first track that takes the reason (and the rejection / disqualification / loss reason) and
// whose conditions match the lead; else the default track, except for reasons the config never
// nurtures (the archive lists) and disqualifications no track takes, which are archived.
TrackChoice ChooseTrack(const v1::NurtureConfig& nurture, const RecycleInput& input);

// The track with this id, or null.
const v1::NurtureTrack* FindTrack(const v1::NurtureConfig& nurture, std::string_view track_id);

}  // namespace leadflow::recycle
