// Reading topics to their end, the way leadflowctl's Kafka commands do (config show/apply, dlq):
// a consumer outside any group protocol (its throwaway group id is under the leadflow- prefix the
// Kafka ACLs grant), read_committed, from the given positions until every partition reported its
// end.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/common/kafka/consumer.h"
#include "services/common/kafka/properties.h"
#include "services/common/kafka/record.h"

namespace leadflow::ctl {

// A consumer for reading outside any group, with partition ends reported.
absl::StatusOr<std::unique_ptr<kafka::Consumer>> ReaderConsumer(
    const kafka::Properties& connection);

// Assigns `positions` (offsets may be logical: -2 beginning) to `consumer` (a ReaderConsumer) and
// calls `on_record` for every record up to the end of each partition. DeadlineExceeded naming the
// topic when the ends are not reached within `timeout`.
absl::Status ReadToEnd(kafka::Consumer& consumer,
                       const std::vector<kafka::TopicPartitionOffset>& positions,
                       std::chrono::milliseconds timeout,
                       const std::function<void(const kafka::ConsumedRecord&)>& on_record);

}  // namespace leadflow::ctl
