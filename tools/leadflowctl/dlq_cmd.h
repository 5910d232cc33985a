// `leadflowctl dlq`: what the dead-letter topic holds, for the operator answering a DLQ alert
// (docs/operations.md#runbook): the last records of every partition, newest last, with the
// reason, the detail, the failing service and the source record's topic, partition and offset.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "leadflow/v1/feedback.pb.h"
#include "services/common/kafka/properties.h"

namespace leadflow::ctl {

// The last `last` committed records of each of the topic's `partitions` (read_committed), parsed,
// sorted by occurred_at. A record that does not parse as a DeadLetter is returned with only its
// source_topic/partition/offset set to the DLQ's own and detail "not a leadflow.v1.DeadLetter".
absl::StatusOr<std::vector<v1::DeadLetter>> ReadDeadLetters(const kafka::Properties& connection,
                                                            const std::string& topic,
                                                            int partitions, int last,
                                                            std::chrono::milliseconds timeout);

// A table: TIME, SERVICE, REASON, SOURCE (topic[partition]@offset), DETAIL. No payload (PII).
std::string DeadLetterTable(const std::vector<v1::DeadLetter>& letters);

// One JSON object per line, without original_key/original_value (PII) unless `with_payload`.
std::string DeadLetterJsonLines(std::vector<v1::DeadLetter> letters, bool with_payload);

}  // namespace leadflow::ctl
