// The one shape of every leadflow service's event handling: a Processor gets an input record and a
// partition-scoped Context (state, emitter, timers, time) and returns a status. The runtime
// (StreamApp) does everything else: Kafka, transactions, changelogs, restore, timers, DLQ, metrics.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "leadflow/v1/feedback.pb.h"
#include "services/common/kafka/record.h"

namespace leadflow::stream {

// An input record as the processor sees it. Views are valid during Process() only.
struct InputRecord {
  std::string_view topic;
  int32_t partition = 0;
  int64_t offset = 0;
  int64_t timestamp_ms = 0;
  std::string_view key;
  std::string_view value;
  const kafka::ConsumedRecord* raw = nullptr;  // headers and anything else
};

// A durable timer: fires once, on the task that owns its partition, at or after due_ms.
struct Timer {
  std::string key;
  int64_t due_ms = 0;
  std::string payload;
};

// One page of a store scan (Context::Scan).
struct ScanPage {
  std::vector<std::pair<std::string, std::string>> entries;  // key order
  std::string next_after;                                    // pass as `after` for the next page
  bool more = false;                                         // keys after next_after may exist
};

// What a processor can do while handling one record or timer. State reads see the processor's own
// uncommitted writes; writes, emitted records and timer changes become visible to the world
// atomically with the input offset, when the runtime commits.
class Context {
 public:
  virtual ~Context() = default;

  virtual int32_t partition() const = 0;
  virtual int64_t now_ms() const = 0;

  // `store` is one of the stores the app declared (StreamOptions::stores).
  virtual absl::StatusOr<std::optional<std::string>> Get(std::string_view store,
                                                         std::string_view key) = 0;
  virtual void Put(std::string_view store, std::string_view key, std::string_view value) = 0;
  virtual void Delete(std::string_view store, std::string_view key) = 0;
  // Delete for personal data (erasure): besides the changelog tombstone, the runtime makes sure
  // the old value also leaves the files — the task's RocksDB is compacted soon after the commit,
  // and the changelog segment holding it is rolled so Kafka's cleaner compacts it within
  // StreamOptions::erasure_max_lag. Use it for every key of an erased person (and CancelTimer for
  // timers whose keys name them); costlier than Delete, so not for routine deletes.
  virtual void Erase(std::string_view store, std::string_view key) = 0;
  // About `limit` entries of `store` with keys after `after` ("" = from the first), in key order,
  // uncommitted writes included. For work over a whole store in chunks (e.g. one page per timer).
  virtual absl::StatusOr<ScanPage> Scan(std::string_view store, std::string_view after,
                                        size_t limit) = 0;

  // Reads a global table (StreamOptions::global_tables): every partition of a compacted topic, as
  // this instance has read it so far. Not part of the transaction: a replay may see newer values.
  virtual absl::StatusOr<std::optional<std::string>> GetGlobal(std::string_view topic,
                                                               std::string_view key) = 0;

  // A number that changes whenever the global table `topic` applied new records: a processor that
  // caches something derived from the table re-reads it only when this moved.
  virtual absl::StatusOr<uint64_t> GlobalGeneration(std::string_view topic) = 0;

  // Queues an output record; it is produced only if Process() returns OK.
  virtual void Emit(kafka::OutgoingRecord record) = 0;

  // The input is refused — it goes to the DLQ with `reason` and `detail` — yet the processor's
  // state writes and emits of this record still commit with it (unlike returning Reject()): for a
  // processor that remembers what it refused, e.g. so an API caller waiting on that state learns
  // why. Only for records (a timer has no input to dead-letter); the last call wins.
  virtual void DeadLetterInput(v1::DeadLetterReason reason, std::string_view detail) = 0;

  // (Re)schedules the timer `key` of this partition; a second schedule replaces the first.
  virtual void ScheduleTimer(std::string_view key, int64_t due_ms, std::string_view payload) = 0;
  virtual void CancelTimer(std::string_view key) = 0;
};

class Processor {
 public:
  virtual ~Processor() = default;

  // OK: commit the record's effects. Reject(...): the record is bad — its effects are dropped and
  // it goes to the DLQ with the reason. Any other status: an infrastructure failure — the
  // transaction aborts and the record is retried (StreamOptions::max_attempts), then dead-lettered
  // as PROCESSING_FAILED so a partition never stalls on one record.
  virtual absl::Status Process(const InputRecord& record, Context& ctx) = 0;

  // A timer came due. Same status rules; a rejected timer is logged and counted, then dropped.
  virtual absl::Status OnTimer(const Timer& timer, Context& ctx) {
    (void)timer;
    (void)ctx;
    return absl::OkStatus();
  }
};

// A status that sends the current record to the DLQ with `reason` and `detail` (which field, why).
absl::Status Reject(v1::DeadLetterReason reason, std::string_view detail);
// The DLQ reason of a Reject() status, or nullopt for any other status.
std::optional<v1::DeadLetterReason> RejectionReason(const absl::Status& status);

}  // namespace leadflow::stream
