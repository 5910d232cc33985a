// Reads config/topics.yaml: the topic catalog leadflowctl provisions.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/common/kafka/admin.h"

namespace leadflow::ctl {

// Topic specs from the file, with defaults applied. Errors name file:line:column and the field.
absl::StatusOr<std::vector<kafka::TopicSpec>> LoadTopicsFile(const std::string& path);

}  // namespace leadflow::ctl
