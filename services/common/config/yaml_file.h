// Loading YAML files with errors that name the file, line and column — for service settings and
// for the domain configuration in config/ (ICP, stage model, routing, ...).
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "yaml-cpp/yaml.h"

namespace leadflow::config {

// Parses `path`. A missing file, an unreadable file, a syntax error or a key set twice in one
// mapping is InvalidArgument/NotFound with "path:line:column: what".
absl::StatusOr<YAML::Node> LoadYamlFile(const std::string& path);

// Parses YAML text; `name` stands for the file in error messages.
absl::StatusOr<YAML::Node> ParseYaml(const std::string& text, const std::string& name);

// "path:line:column" of a node (1-based), for error messages about a field.
std::string Where(const std::string& path, const YAML::Node& node);

}  // namespace leadflow::config
