// The nurture config (config/nurture.yaml), pure: its validation, and which track a recycled lead
// goes to — or whether it is archived instead (a reason that is never nurtured, or nothing fits).
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "leadflow/v1/config.pb.h"
#include "leadflow/v1/lead.pb.h"
#include "services/common/config/proto_yaml.h"
#include "services/common/lifecycle/nurture_config.h"

namespace leadflow::recycle {

// The nurture config is shared with qualification (which tells whether a disqualification may be
// nurtured): services/common/lifecycle/nurture_config.h.
using lifecycle::FindTrack;
using lifecycle::LoadNurtureFile;
using lifecycle::ValidateNurture;

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

}  // namespace leadflow::recycle
