// StreamApp: the runtime every leadflow service runs its Processor on. One instance consumes the
// co-partitioned input topics in a consumer group; each assigned partition number is a task with
// its own TaskState (RocksDB) and changelog partition. Processing is exactly-once: the outputs, the
// changelog records of the state changes and the input offsets of a commit interval go to Kafka in
// one transaction; local state is updated only after that transaction commits.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "leadflow/v1/common.pb.h"
#include "services/common/kafka/consumer.h"
#include "services/common/kafka/producer.h"
#include "services/common/metrics/metrics.h"
#include "services/common/stream/clock.h"
#include "services/common/stream/global_table.h"
#include "services/common/stream/processor.h"
#include "services/common/stream/task_state.h"

namespace leadflow::stream {

// Processing guarantee. Exactly-once: outputs, changelog and input offsets commit in one Kafka
// transaction. At-least-once: an idempotent producer without transactions; outputs may repeat
// after a crash, but state never counts an input twice (the applied input offsets are part of the
// state and of its changelog, and records below them are skipped).
enum class Guarantee { kExactlyOnce, kAtLeastOnce };

struct StreamOptions {
  // Names the consumer group, the transactional id prefix and the changelog topic.
  std::string application_id;
  // Stable per running instance (a pod name): the transactional id is
  // "<application_id>-<instance_id>", so a restarted instance fences its own predecessor.
  std::string instance_id = "0";
  std::vector<std::string> input_topics;   // co-partitioned: same partition count
  std::vector<std::string> stores;         // the processor's state stores
  std::vector<std::string> global_tables;  // compacted topics read whole by every instance
  std::string changelog_topic;             // default "<application_id>.state.changelog"
  std::string dlq_topic = "leadflow.dlq.v1";
  v1::ServiceName service = v1::SERVICE_NAME_UNSPECIFIED;  // recorded in dead letters
  std::string state_dir;                                   // one sub-directory per task
  kafka::Properties kafka;                                 // bootstrap.servers and pass-through
  Guarantee guarantee = Guarantee::kExactlyOnce;
  std::chrono::milliseconds commit_interval{100};
  int commit_max_records = 20000;  // bounds the overlay (memory) between commits
  int max_attempts = 3;            // tries of a failing record before it is dead-lettered
  std::chrono::milliseconds kafka_timeout{60000};
  // A changelog restore that reads nothing (no record, not its end) for this long fails the
  // instance (fatal) rather than hanging.
  std::chrono::milliseconds restore_stall_timeout{60000};
  // Erasure (Context::Erase): the changelog is created with max.compaction.lag.ms = this, and a
  // task that erased writes to its changelog partition again once it has passed, so the segment
  // holding the old values rolls (Kafka rolls on append) and the log cleaner must compact it:
  // erased values leave the changelog within about twice this plus the cleaner's backoff. The
  // local store is compacted within `erasure_compaction_delay` (batching bulk erasures).
  std::chrono::milliseconds erasure_max_lag{std::chrono::hours(24)};
  std::chrono::milliseconds erasure_compaction_delay{std::chrono::seconds(1)};
  const Clock* clock = nullptr;  // null = system clock
  // Fault injection for tests: called after a transaction committed and before its state is
  // applied locally (a slow apply). Empty in production.
  std::function<void()> after_commit_for_test;
};

class StreamApp : public kafka::RebalanceListener {
 public:
  static absl::StatusOr<std::unique_ptr<StreamApp>> Create(StreamOptions options,
                                                           std::unique_ptr<Processor> processor,
                                                           metrics::Registry* registry);
  ~StreamApp() override;

  // Runs until `stop` becomes true (then commits, leaves the group and returns OK) or a fatal
  // error (fenced by a newer instance, producer unusable, state store failure), returned as the
  // status; the caller exits and the orchestrator restarts it.
  absl::Status Run(const std::atomic<bool>& stop);

  // Partition numbers whose tasks are running (restored and processing).
  std::vector<int32_t> ActiveTasks() const;

  // Committed state of `store` for `key`, from the tasks this instance runs; safe from any thread
  // (the API layer's point reads). Uncommitted writes are not visible. The key's partition is
  // that of `partition_key` (the key itself unless given: a lead id for lead-keyed stores) under
  // Kafka's default partitioner, which is how the inputs are keyed. `owned` is true when this
  // instance runs that partition (restored, processing), so an absent value is absent everywhere;
  // otherwise the partition is another instance's, or no one's during a rebalance. An owner can be
  // behind for a moment — a paused instance whose partitions were given away serves from its old
  // state until its next poll tells it — unless it runs every partition (`all_local`: no other
  // instance can have moved on).
  struct LocalRead {
    std::optional<std::string> value;
    bool owned = false;
    bool all_local = false;
    int32_t partition = -1;  // the key's partition; -1 while the input topics are not known yet
  };
  absl::StatusOr<LocalRead> ReadCommitted(std::string_view store, std::string_view key,
                                          std::optional<std::string_view> partition_key = {}) const;

  // Polls ReadCommitted(store, key) until `done(value)` holds (the API layer waiting for the
  // processor to apply a request it wrote) and returns that value; DeadlineExceeded after
  // `timeout`.
  absl::StatusOr<std::optional<std::string>> AwaitCommitted(
      std::string_view store, std::string_view key,
      const std::function<bool(const std::optional<std::string>&)>& done,
      std::chrono::milliseconds timeout) const;

  // Every committed entry of `store` in the tasks this instance runs (partition by partition, key
  // order) until `fn` returns false; safe from any thread (the API layer's listings). Returns
  // whether this instance runs every partition (else the listing is this instance's share).
  absl::StatusOr<bool> ScanCommitted(
      std::string_view store,
      const std::function<bool(int32_t partition, std::string_view key, std::string_view value)>&
          fn) const;

  // The partition count of the (co-partitioned) input topics; -1 until Run() checked them.
  int input_partitions() const { return input_partitions_.load(); }

  // The global table `topic` (StreamOptions::global_tables), for the API layer's reads; null when
  // the app has no such table or has not opened it yet (Run() opens them). Safe from any thread.
  const GlobalTable* global_table(std::string_view topic) const;

  void OnAssigned(const std::vector<kafka::TopicPartition>& partitions) override;
  void OnRevoked(const std::vector<kafka::TopicPartition>& partitions) override;
  void OnLost(const std::vector<kafka::TopicPartition>& partitions) override;

 private:
  struct Task;
  class TaskContext;
  struct Metrics;

  StreamApp(StreamOptions options, std::unique_ptr<Processor> processor,
            metrics::Registry* registry);

  absl::Status Start();
  // Checks that the inputs exist and are co-partitioned, and creates the changelog (compacted, same
  // partition count) when missing.
  absl::Status EnsureTopics();
  absl::Status HandleRecord(kafka::ConsumedRecord record);
  // A record or timer succeeded: its staged state joins the transaction, its emits are produced.
  absl::Status Accept(Task& task, TaskContext& ctx);
  absl::Status FireDueTimers();
  // Compacts the stores of tasks with committed erasures (TaskState::compaction_due), at most
  // once per erasure_compaction_delay.
  absl::Status CompactErased();
  absl::Status EnsureTransaction();
  // Ends the open transaction. Exactly-once: commits it (outputs, changelog and offsets in one
  // Kafka transaction), then applies its state. At-least-once: seals it — its changelog records
  // are produced and its state waits in the sealed overlay — and, with `wait`, completes it at
  // once; without, the loop completes it once its records are delivered (processing overlaps
  // delivery).
  absl::Status Commit(bool wait);
  // At-least-once: once every record produced up to the sealed transaction is delivered, applies
  // its state and commits its offsets to the group; any failed delivery rewinds. With `wait`,
  // waits for the deliveries (bounded by kafka_timeout).
  absl::Status CompleteSealed(bool wait);
  // Local state moves past a committed transaction: state, checkpoint, offsets, metrics.
  absl::Status ApplyCommitted(const std::vector<kafka::TopicPartitionOffset>& offsets,
                              std::chrono::steady_clock::time_point started);
  // Aborts the open transaction (exactly-once) and forgets its state changes.
  absl::Status AbortTransaction();
  // AbortTransaction, then seeks the inputs back to the last committed offsets.
  absl::Status AbortAndRewind(std::string_view why);
  absl::Status DeadLetter(const kafka::ConsumedRecord& record, v1::DeadLetterReason reason,
                          std::string_view detail, int attempts);
  absl::Status OpenTask(int32_t partition);
  absl::Status RestoreTask(Task& task);
  void CloseTasks();
  bool CommitDue() const;
  // Exports consumer lag per assigned input partition, at most once a second.
  void UpdateLag();
  bool exactly_once() const { return options_.guarantee == Guarantee::kExactlyOnce; }
  // Records a fatal error raised inside a rebalance callback, for Run() to return.
  void SetFatal(absl::Status status);

  StreamOptions options_;
  std::unique_ptr<Processor> processor_;
  metrics::Registry* registry_;
  std::unique_ptr<Metrics> metrics_;
  SystemClock system_clock_;
  const Clock* clock_;
  std::unique_ptr<kafka::Producer> producer_;
  std::unique_ptr<kafka::Consumer> consumer_;
  // Written only by the processing thread, under tasks_mu_ (ReadCommitted reads from others).
  std::map<int32_t, std::unique_ptr<Task>> tasks_;
  mutable std::shared_mutex tasks_mu_;
  // Exactly-once: held exclusively from the commit of a transaction until its state is applied
  // locally, shared by ReadCommitted/ScanCommitted. Once a transaction's outputs are visible to
  // read_committed consumers, a local read waits for its state instead of returning the state
  // before it (a sales tool answering a handoff it has just seen must find it handed off).
  mutable std::shared_mutex visibility_mu_;
  std::atomic<int> input_partitions_{-1};
  // Filled by Start() on the stream thread; the tables live until the app is destroyed.
  mutable std::mutex globals_mu_;
  std::map<std::string, std::unique_ptr<GlobalTable>, std::less<>> global_tables_;
  bool txn_open_ = false;
  // At-least-once: the transaction sealed and waiting for its deliveries.
  struct Sealed {
    uint64_t epoch;  // the producer's delivery epoch that holds its records
    std::vector<kafka::TopicPartitionOffset> offsets;
    std::chrono::steady_clock::time_point started;
  };
  std::optional<Sealed> sealed_;
  int records_in_txn_ = 0;
  std::chrono::steady_clock::time_point txn_started_;
  // Next offset to process per input partition: committed position, then advanced as records are
  // processed. Records below it are duplicates (librdkafka 2.0.2 re-deliveries) and are dropped.
  std::map<kafka::TopicPartition, int64_t> next_offset_;
  std::map<kafka::TopicPartition, int64_t> committed_offset_;
  // Failures per input record (topic, partition, offset), across aborts and re-deliveries.
  std::map<kafka::TopicPartitionOffset, int> attempts_;
  absl::Status fatal_;
  int64_t delivery_failures_ = 0;
  int64_t reported_commit_failures_ = 0;  // the consumer's async commit failures, exported  // the
                                          // producer's failure count at the last commit or abort
  int64_t last_timer_check_ms_ = -1;
  std::chrono::steady_clock::time_point last_lag_update_;
  std::chrono::steady_clock::time_point loop_now_;  // read once per loop iteration
  uint64_t processed_ = 0;
  std::chrono::steady_clock::time_point last_timer_check_;
};

// What an API answers for a read whose key is on a partition this instance does not run (`read`
// not owned): UNAVAILABLE — the key may well exist; another instance runs the partition, or no one
// does while the group rebalances — naming the partition. `what` names the thing asked for ("lead
// X"); `hint` is appended (where else to go).
absl::Status NotOwnedError(std::string_view what, const StreamApp::LocalRead& read,
                           std::string_view hint = "retry, or ask the instance that runs it");

}  // namespace leadflow::stream
