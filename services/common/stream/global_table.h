// A global table: every partition of a compacted topic (leadflow.config.v1, leadflow.accounts.v1)
// read into a local RocksDB store by every instance, kept up to date by a thread of its own. The
// store remembers the offset it reflects per partition, in the same batch as the data, so a
// restart continues where it stopped instead of re-reading the topic.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "services/common/kafka/properties.h"
#include "services/common/metrics/metrics.h"
#include "services/common/state/store.h"

namespace leadflow::stream {

struct GlobalTableOptions {
  std::string topic;
  std::string state_dir;  // the table's RocksDB lives in <state_dir>/global-<topic>
  kafka::Properties kafka;
  std::chrono::milliseconds kafka_timeout{60000};
};

class GlobalTable {
 public:
  // Opens the local store and starts following the topic from where the store left off.
  static absl::StatusOr<std::unique_ptr<GlobalTable>> Open(GlobalTableOptions options,
                                                           metrics::Registry* registry);
  ~GlobalTable();  // stops the thread, closes the store

  // Waits until every partition was read to its end (read_committed) at least once since Open:
  // a service processes nothing before its global tables are complete.
  absl::Status WaitUntilCaughtUp(std::chrono::milliseconds timeout);
  bool caught_up() const { return caught_up_.load(); }
  // Incremented after every batch of records applied to the store.
  uint64_t generation() const { return generation_.load(); }

  absl::StatusOr<std::optional<std::string>> Get(std::string_view key) const;
  absl::Status Scan(std::string_view prefix,
                    const std::function<bool(std::string_view, std::string_view)>& fn) const;

  // The error that stopped the follower thread, or OK while it runs.
  absl::Status health() const;
  const std::string& topic() const { return options_.topic; }

 private:
  GlobalTable(GlobalTableOptions options, metrics::Registry* registry);
  absl::Status Start();
  void Follow();

  GlobalTableOptions options_;
  metrics::Counter& applied_;
  metrics::Gauge& caught_up_gauge_;
  std::unique_ptr<state::Store> store_;
  std::map<int32_t, int64_t> start_offsets_;
  int partitions_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<bool> caught_up_{false};
  std::atomic<uint64_t> generation_{0};
  mutable std::mutex mu_;
  std::condition_variable changed_;  // caught up, or the follower failed
  absl::Status health_;
  std::thread thread_;
};

}  // namespace leadflow::stream
