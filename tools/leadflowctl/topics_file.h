// Reads config/topics.yaml: the topic catalog leadflowctl provisions.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/common/kafka/admin.h"

namespace leadflow::ctl {

// What a cluster changes of the file (`leadflowctl topics ensure --partitions 12
// --replication-factor 3 --topic-config min.insync.replicas=2` in production).
struct TopicsOverrides {
  int partitions = 0;          // replaces the file's default partition count (0: the file's);
                               // topics with a partition count of their own keep it
  int replication_factor = 0;  // replaces the file's replication factor (0: the file's)
  std::map<std::string, std::string> configs;  // added to (or replacing in) every topic's configs
};

// Topic specs from the file, with defaults and `overrides` applied. Errors name
// file:line:column and the field.
absl::StatusOr<std::vector<kafka::TopicSpec>> LoadTopicsFile(const std::string& path,
                                                             const TopicsOverrides& overrides = {});

}  // namespace leadflow::ctl
