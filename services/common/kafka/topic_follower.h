// Follows every partition of one topic outside any consumer group, read_committed, from exact
// positions — for server streams that clients resume (WatchHandoffs): the position after each
// record is a token a client hands back to continue with nothing missed and nothing twice.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "services/common/kafka/consumer.h"

namespace leadflow::kafka {

class TopicFollower {
 public:
  // Where to start: at the positions of a token, at the first record at or after a time, or at
  // the end (only what is committed from now on).
  struct StartAt {
    std::optional<std::string> token;
    std::optional<int64_t> timestamp_ms;
  };

  // `properties`: bootstrap.servers and pass-through settings (a group.id is set when missing; it
  // is never joined). `partitions`: the topic's partition count.
  static absl::StatusOr<std::unique_ptr<TopicFollower>> Create(const Properties& properties,
                                                               std::string topic, int partitions,
                                                               const StartAt& start,
                                                               std::chrono::milliseconds timeout);

  // The next committed record, or nullopt when none arrived within `timeout`.
  absl::StatusOr<std::optional<ConsumedRecord>> Next(std::chrono::milliseconds timeout);

  // The position after the last record Next() returned: "v1:<partition>=<next offset>,...".
  std::string Token() const;

  // The positions of a token for a topic of `partitions` partitions; InvalidArgument when it is
  // not one of this topic's tokens.
  static absl::StatusOr<std::map<int32_t, int64_t>> ParseToken(std::string_view token,
                                                               int partitions);

 private:
  TopicFollower(std::string topic, std::unique_ptr<Consumer> consumer)
      : topic_(std::move(topic)), consumer_(std::move(consumer)) {}

  std::string topic_;
  std::unique_ptr<Consumer> consumer_;
  std::map<int32_t, int64_t> positions_;
};

}  // namespace leadflow::kafka
