// The nurture configuration (config/nurture.yaml): validated and loaded here, read by recycle
// (which track a recycled lead goes to) and by qualification (whether a disqualification may be
// nurtured at all) — one reading of one file, so the two never disagree.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "leadflow/v1/config.pb.h"
#include "services/common/config/proto_yaml.h"

namespace leadflow::lifecycle {

// Every violation, each naming its field path.
std::vector<config::ConfigViolation> ValidateNurture(const v1::NurtureConfig& nurture);

// Loads and validates a nurture file; errors name file, line and field.
absl::StatusOr<v1::NurtureConfig> LoadNurtureFile(const std::string& path);

const v1::NurtureTrack* FindTrack(const v1::NurtureConfig& nurture, std::string_view track_id);

// Whether some track takes disqualified leads with `reason` (LeadDisqualified.nurture_allowed).
bool NurtureAllowed(const v1::NurtureConfig& nurture, v1::DisqualificationReason reason);

}  // namespace leadflow::lifecycle
