// The ICP as configuration: loading config/icp.yaml into an IcpConfig and checking it, with
// errors that name the file, line and field. Used by leadflowctl (config check/apply) and the
// qualification service (which re-checks what it reads from the config topic).
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "leadflow/v1/config.pb.h"
#include "services/common/config/proto_yaml.h"

namespace leadflow::qualification {

// Attribute paths an ICP condition may test (besides "custom.<key>"): those of
// lifecycle::ConditionAttributes().
const std::set<std::string, std::less<>>& IcpAttributes();

using config::ConfigViolation;

// Everything wrong with `icp` (empty = valid): required fields, unique rule ids, known
// attributes, operand counts and number formats per operator, weights in [-100, 100], a
// disqualifying rule without weight, grade thresholds 0 <= c <= b <= a <= 100, a positive
// half-life, engagement types listed once.
std::vector<ConfigViolation> ValidateIcp(const v1::IcpConfig& icp);

// Loads and validates a YAML file; all violations in one error, one per line, each
// "file:line:column: path: why".
absl::StatusOr<v1::IcpConfig> LoadIcpFile(const std::string& path);

}  // namespace leadflow::qualification
