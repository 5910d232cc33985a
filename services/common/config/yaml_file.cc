// YAML loading with precise error locations; yaml-cpp's exceptions stop here.
#include "services/common/config/yaml_file.h"

#include <fstream>
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

absl::StatusOr<YAML::Node> ParseYaml(const std::string& text, const std::string& name) {
  try {
    return YAML::Load(text);
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
