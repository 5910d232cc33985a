// Reads YAML into a protobuf message by reflection, for the domain configuration in config/ (ICP,
// stage model, routing, SLA, nurture, comp summary): keys are the proto field names, nested
// mappings are messages, sequences are repeated fields, `{key: value}` mappings are proto maps.
// Scalars: strings; integers and decimals; booleans; enums by value name with or without the enum's
// prefix and in any case ("grade_a", "FIT_GRADE_A", "demo_request"); google.protobuf.Duration
// as "90s", "4h", "14d"; google.protobuf.Timestamp as RFC 3339.
// Every error names the file, line and column, the field path and why:
//   config/icp.yaml:12:9: rules[3].condition.op: unknown value 'greater' (one of: equals, ...)
// Unknown keys are errors (a typo must not be silently ignored).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "google/protobuf/message.h"
#include "yaml-cpp/yaml.h"

namespace leadflow::config {

// An enum value by its name with or without the enum's prefix, in any case, with any separators
// ("grade_a", "FIT_GRADE_A", "paid search", "Paid-Search"); null for unknown names and for the
// *_UNSPECIFIED value (never a choice).
const google::protobuf::EnumValueDescriptor* FindEnumValueByShortName(
    const google::protobuf::EnumDescriptor* e, std::string_view text);

// Fills `message` from `node` (a mapping). `file` names the source in errors.
absl::Status YamlToProto(const YAML::Node& node, const std::string& file,
                         google::protobuf::Message* message);

// Loads the YAML file `path` into `message`.
absl::Status LoadProtoYamlFile(const std::string& path, google::protobuf::Message* message);

// "file:line:column" of the YAML node at a field path of the loaded message ("rules[3].weight"),
// or of its deepest ancestor present in the file — so checks made on the message after loading
// can still point at a line.
std::string LocateField(const YAML::Node& root, const std::string& file, std::string_view path);

// A problem found by a check of a loaded message: the field path and why.
struct ConfigViolation {
  std::string path;  // e.g. "rules[3].condition.values"
  std::string why;
};

// Loads the YAML file `path` into `message`, then runs `validate` on it; fails with every
// violation on its own line, each "file:line:column: path: why".
absl::Status LoadValidatedYamlFile(const std::string& path, google::protobuf::Message* message,
                                   const std::function<std::vector<ConfigViolation>()>& validate);

}  // namespace leadflow::config
