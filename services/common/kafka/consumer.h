// A Kafka group consumer: range assignment (so co-partitioned topics stay together on one member),
// read_committed, manual offsets, a rebalance listener, and one record per poll (librdkafka 2.0's
// batch APIs skip or repeat offsets around rebalances, see DESIGN.md).
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/common/kafka/properties.h"
#include "services/common/kafka/record.h"

namespace RdKafka {
class KafkaConsumer;
}  // namespace RdKafka

namespace leadflow::kafka {

class ClientEvents;

// Told about partition movements, on the thread that calls Consumer::Poll, before the
// assignment takes effect (assigned) or after processing stopped (revoked/lost).
class RebalanceListener {
 public:
  virtual ~RebalanceListener() = default;
  virtual void OnAssigned(const std::vector<TopicPartition>& partitions) = 0;
  // Partitions leave cleanly: commit what was processed, then close their state.
  virtual void OnRevoked(const std::vector<TopicPartition>& partitions) = 0;
  // Partitions were taken away (session timeout): another member may own them already, so
  // nothing may be committed for them.
  virtual void OnLost(const std::vector<TopicPartition>& partitions) = 0;
};

class Consumer {
 public:
  // Requires group.id and bootstrap.servers. Defaults (overridable): partition.assignment.strategy
  // =range, isolation.level=read_committed, enable.auto.commit=false,
  // enable.auto.offset.store=false, auto.offset.reset=earliest, queued.min.messages=100000,
  // queued.max.messages.kbytes=32768 (bounded prefetch, see consumer.cc). `listener` may be null
  // and must outlive the consumer.
  static absl::StatusOr<std::unique_ptr<Consumer>> Create(const Properties& properties,
                                                          RebalanceListener* listener = nullptr);
  ~Consumer();  // Close()s if needed
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  absl::Status Subscribe(const std::vector<std::string>& topics);

  // Waits up to `timeout` for one record. nullopt when none arrived (or on a partition-EOF event);
  // an error status for consumer errors (Unavailable for transient ones, which the caller may
  // retry; others are worth a log line and a metric).
  absl::StatusOr<std::optional<ConsumedRecord>> Poll(std::chrono::milliseconds timeout);

  // The partitions assigned right now.
  std::vector<TopicPartition> Assignment() const;

  // Starts a commit of the given next-offsets (outside transactions: the runtime's exactly-once
  // mode commits offsets inside its transaction instead) and returns; its outcome arrives during a
  // later Poll(). A failed one is logged and counted in async_commit_failures().
  absl::Status CommitAsync(const std::vector<TopicPartitionOffset>& offsets);
  int64_t async_commit_failures() const;

  // A partition's low and high watermarks, from its leader (high = next offset; the last stable
  // offset under read_committed).
  struct Watermarks {
    int64_t low = 0;
    int64_t high = 0;
  };
  // A topic this client does not know yet (created after it started, or without a leader yet) is
  // retried with a metadata refresh until `timeout`; other errors are returned at once.
  absl::StatusOr<Watermarks> QueryWatermarks(const std::string& topic, int32_t partition,
                                             std::chrono::milliseconds timeout);

  // The committed next-offsets of `partitions` (-1001 = none committed).
  absl::StatusOr<std::vector<TopicPartitionOffset>> Committed(
      const std::vector<TopicPartition>& partitions, std::chrono::milliseconds timeout);

  // Per partition of `topic`, the offset of the first record with a timestamp at or after
  // `timestamp_ms` (the partition's end when there is none; under read_committed its last stable
  // offset). `timestamp_ms` -1 = the end now.
  absl::StatusOr<std::vector<TopicPartitionOffset>> OffsetsForTimes(
      const std::string& topic, const std::vector<int32_t>& partitions, int64_t timestamp_ms,
      std::chrono::milliseconds timeout);
  // Assigns partitions directly, outside any group protocol (restore consumers). Offsets may be
  // logical: -2 beginning, -1 end.
  absl::Status Assign(const std::vector<TopicPartitionOffset>& positions);

  // Partitions whose end was reached since the last call (needs enable.partition.eof=true; with
  // read_committed the end is the last stable offset).
  std::vector<TopicPartition> TakeEofs();

  // Moves the fetch position of assigned partitions (after an aborted transaction: back to the
  // last committed offsets).
  absl::Status Seek(const std::vector<TopicPartitionOffset>& positions,
                    std::chrono::milliseconds timeout);

  // Stops / restarts fetching (backpressure). Resume only what was paused (librdkafka 2.0.2 may
  // re-deliver from a stale offset when resuming a partition that was not paused).
  absl::Status Pause(const std::vector<TopicPartition>& partitions);
  absl::Status Resume(const std::vector<TopicPartition>& partitions);

  // Leaves the group (revoking partitions through the listener) and closes. Idempotent.
  absl::Status Close();

  // For the stream-processing runtime (group metadata for transactions); ownership stays here.
  RdKafka::KafkaConsumer* handle() { return consumer_.get(); }

 private:
  class Rebalancer;
  class CommitResults;
  Consumer() = default;

  std::unique_ptr<ClientEvents> events_;
  std::unique_ptr<Rebalancer> rebalancer_;
  std::unique_ptr<CommitResults> commit_results_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  mutable std::mutex mu_;
  std::vector<TopicPartition> assignment_;
  std::vector<TopicPartition> eofs_;
  bool closed_ = false;
};

}  // namespace leadflow::kafka
