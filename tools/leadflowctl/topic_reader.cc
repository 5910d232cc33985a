#include "tools/leadflowctl/topic_reader.h"

#include <set>

#include "services/common/base/strings.h"
#include "services/common/kafka/consumer.h"

namespace leadflow::ctl {

absl::StatusOr<std::unique_ptr<kafka::Consumer>> ReaderConsumer(
    const kafka::Properties& connection) {
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  return kafka::Consumer::Create(kafka::Merge(
      connection,
      {{"group.id", StrCat("leadflow-ctl-", now_ms)}, {"enable.partition.eof", "true"}}));
}

absl::Status ReadToEnd(kafka::Consumer& consumer,
                       const std::vector<kafka::TopicPartitionOffset>& positions,
                       std::chrono::milliseconds timeout,
                       const std::function<void(const kafka::ConsumedRecord&)>& on_record) {
  if (positions.empty()) return absl::OkStatus();
  if (absl::Status s = consumer.Assign(positions); !s.ok()) return s;
  std::set<kafka::TopicPartition> pending;
  for (const kafka::TopicPartitionOffset& p : positions) pending.insert({p.topic, p.partition});
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pending.empty()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return absl::DeadlineExceededError(StrCat(
          "reading ", positions.front().topic, ": not at its end within ", timeout.count(), " ms"));
    }
    auto polled = consumer.Poll(std::chrono::milliseconds(200));
    if (!polled.ok()) return polled.status();
    if (polled->has_value()) on_record(**polled);
    for (const kafka::TopicPartition& tp : consumer.TakeEofs()) pending.erase(tp);
  }
  return absl::OkStatus();
}

}  // namespace leadflow::ctl
