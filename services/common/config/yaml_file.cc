// YAML loading with precise error locations; yaml-cpp's exceptions stop here.
#include "services/common/config/yaml_file.h"

#include <fstream>
#include <map>
#include <sstream>

#include "services/common/base/strings.h"

namespace leadflow::config {

std::string Where(const std::string& path, const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  if (mark.is_null()) {
    return path;
  }
  return leadflow::StrCat(path, ":", mark.line + 1, ":", mark.column + 1);
}

namespace {

// yaml-cpp keeps one of two equal keys of a mapping without a word; a configuration must not
// (the second one is almost always a mistake that silently wins or loses).
absl::Status CheckNoDuplicateKeys(const YAML::Node& node, const std::string& name) {
  if (node.IsMap()) {
    std::map<std::string, std::string> seen;  // key -> where
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (it->first.IsScalar()) {
        const std::string key = it->first.Scalar();
        if (auto [first, fresh] = seen.emplace(key, Where(name, it->first)); !fresh) {
          return absl::InvalidArgumentError(leadflow::StrCat(
              Where(name, it->first), ": '", key, "' is set twice (first at ", first->second, ")"));
        }
      }
      if (absl::Status s = CheckNoDuplicateKeys(it->second, name); !s.ok()) return s;
    }
  } else if (node.IsSequence()) {
    for (const YAML::Node& item : node) {
      if (absl::Status s = CheckNoDuplicateKeys(item, name); !s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<YAML::Node> ParseYaml(const std::string& text, const std::string& name) {
  try {
    YAML::Node root = YAML::Load(text);
    if (absl::Status s = CheckNoDuplicateKeys(root, name); !s.ok()) return s;
    return root;
  } catch (const YAML::Exception& e) {
    // Config is parsed at startup or on an admin call, never per event; the exception ends here.
    return absl::InvalidArgumentError(leadflow::StrCat(
        name, ":", e.mark.line + 1, ":", e.mark.column + 1, ": invalid YAML: ", e.msg));
  }
}

absl::StatusOr<YAML::Node> LoadYamlFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(leadflow::StrCat(path, ": cannot open config file"));
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) {
    return absl::InvalidArgumentError(leadflow::StrCat(path, ": read error"));
  }
  return ParseYaml(buffer.str(), path);
}

}  // namespace leadflow::config
