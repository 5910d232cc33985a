// config/topics.yaml parsing.
#include "tools/leadflowctl/topics_file.h"

#include "services/common/base/status_macros.h"
#include "services/common/base/strings.h"
#include "services/common/config/yaml_file.h"

namespace leadflow::ctl {
namespace {

absl::StatusOr<int> PositiveInt(const YAML::Node& node, const std::string& path,
                                const std::string& field) {
  int value = 0;
  if (!node.IsScalar() || !YAML::convert<int>::decode(node, value) || value < 1) {
    return absl::InvalidArgumentError(
        StrCat(config::Where(path, node), ": field '", field, "': expected a positive integer"));
  }
  return value;
}

}  // namespace

absl::StatusOr<std::vector<kafka::TopicSpec>> LoadTopicsFile(const std::string& path,
                                                             const TopicsOverrides& overrides) {
  LF_ASSIGN_OR_RETURN(YAML::Node root, config::LoadYamlFile(path));
  if (!root.IsMap()) {
    return absl::InvalidArgumentError(StrCat(path, ": expected a mapping with 'topics'"));
  }
  int partitions = 1;
  int replication = 1;
  if (root["partitions"]) {
    LF_ASSIGN_OR_RETURN(partitions, PositiveInt(root["partitions"], path, "partitions"));
  }
  if (root["replication_factor"]) {
    LF_ASSIGN_OR_RETURN(replication,
                        PositiveInt(root["replication_factor"], path, "replication_factor"));
  }
  if (overrides.partitions > 0) partitions = overrides.partitions;
  if (overrides.replication_factor > 0) replication = overrides.replication_factor;
  const YAML::Node topics = root["topics"];
  if (!topics || !topics.IsSequence() || topics.size() == 0) {
    return absl::InvalidArgumentError(
        StrCat(path, ": field 'topics': expected a non-empty list of topics"));
  }
  std::vector<kafka::TopicSpec> out;
  for (const YAML::Node& t : topics) {
    if (!t.IsMap() || !t["name"] || !t["name"].IsScalar() || t["name"].Scalar().empty()) {
      return absl::InvalidArgumentError(
          StrCat(config::Where(path, t), ": field 'topics[].name': every topic needs a name"));
    }
    for (const auto& kv : t) {
      const std::string key = kv.first.Scalar();
      if (key != "name" && key != "partitions" && key != "configs" && key != "co_partitioned") {
        return absl::InvalidArgumentError(
            StrCat(config::Where(path, kv.first), ": unknown field 'topics[].", key, "'"));
      }
    }
    kafka::TopicSpec spec{t["name"].Scalar(), partitions, replication, {}};
    if (t["partitions"]) {
      LF_ASSIGN_OR_RETURN(spec.partitions,
                          PositiveInt(t["partitions"], path, "topics[].partitions"));
    }
    if (const YAML::Node configs = t["configs"]; configs) {
      if (!configs.IsMap()) {
        return absl::InvalidArgumentError(
            StrCat(config::Where(path, configs), ": field 'topics[].configs': expected a mapping"));
      }
      for (const auto& kv : configs) spec.configs.emplace(kv.first.Scalar(), kv.second.Scalar());
    }
    for (const auto& [key, value] : overrides.configs) spec.configs[key] = value;
    out.push_back(std::move(spec));
  }
  return out;
}

}  // namespace leadflow::ctl
