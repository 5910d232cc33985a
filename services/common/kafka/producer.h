// A Kafka producer: idempotent (acks=all) by default, delivery reports per record, statuses for
// every failure, and the raw handle for the runtime's transactions.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/common/kafka/properties.h"
#include "services/common/kafka/record.h"

namespace RdKafka {
class Producer;
class KafkaConsumer;
}  // namespace RdKafka

namespace leadflow::kafka {

class ClientEvents;

// Where a record landed, or why it did not.
struct DeliveryReport {
  absl::Status status;
  std::string topic;
  int32_t partition = -1;
  int64_t offset = -1;
};
using DeliveryCallback = std::function<void(const DeliveryReport&)>;

class Producer {
 public:
  // Defaults leadflow relies on (overridable through `properties`): enable.idempotence=true,
  // acks=all, partitioner=murmur2_random (the Java client's placement, so keys co-partition with
  // records produced by other clients), linger.ms=5.
  static absl::StatusOr<std::unique_ptr<Producer>> Create(const Properties& properties);
  ~Producer();  // flushes for up to 10 s, then drops what is left (logged)
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  // Enqueues a record. `on_delivery` (may be empty) runs later on the thread that calls Poll() or
  // Flush().
  // ResourceExhausted when the local queue is full (back off and Poll), InvalidArgument when the
  // record is too large, FailedPrecondition after a fatal error.
  absl::Status Produce(const OutgoingRecord& record, DeliveryCallback on_delivery);

  // Produce, waiting out a full local queue by serving delivery reports (backpressure: the caller
  // blocks instead of memory growing). Queued records time out after message.timeout.ms, so the
  // wait is bounded even with no broker. Any other failure is returned.
  absl::Status ProduceOrWait(const OutgoingRecord& record, DeliveryCallback on_delivery);

  // Serves delivery reports and client events for up to `timeout`; returns how many were served.
  int Poll(std::chrono::milliseconds timeout);

  // Waits until every enqueued record is delivered or failed; DeadlineExceeded names how many
  // records are still outstanding.
  absl::Status Flush(std::chrono::milliseconds timeout);

  // Records enqueued and not yet reported.
  int outstanding() const;

  // Deliveries that failed since the producer was created (whether or not they had a callback).
  int64_t delivery_failures() const;

  // Delivery epochs: every record belongs to the epoch that was open when it was enqueued.
  // SealEpoch() closes the open epoch and returns its number; EpochDelivered(n) is true once every
  // record of epochs <= n has been reported (delivered or failed). This lets a caller wait for
  // "everything produced up to here" while it goes on producing — unlike Flush(), which waits for
  // everything. Reports are served by Poll()/Flush().
  uint64_t SealEpoch();
  bool EpochDelivered(uint64_t epoch) const;

  // OK, or the fatal error that makes this producer unusable (it must be rebuilt).
  absl::Status FatalError() const;

  // Transactions (needs `transactional.id`). Each returns OK, or a status whose code says what the
  // caller must do: Unavailable = retry the same call; Aborted = abort the transaction and rewind
  // the input to the last commit; FailedPrecondition = fatal (fenced by a newer instance, or the
  // producer is unusable) — stop and let the orchestrator restart the process.
  absl::Status InitTransactions(std::chrono::milliseconds timeout);
  absl::Status BeginTransaction();
  // Adds consumed next-offsets to the transaction, tied to `consumer`'s group generation so a
  // zombie of an older generation is fenced (KIP-447).
  absl::Status SendOffsetsToTransaction(const std::vector<TopicPartitionOffset>& offsets,
                                        RdKafka::KafkaConsumer* consumer,
                                        std::chrono::milliseconds timeout);
  absl::Status CommitTransaction(std::chrono::milliseconds timeout);
  absl::Status AbortTransaction(std::chrono::milliseconds timeout);

  // For code that needs librdkafka directly; ownership stays here.
  RdKafka::Producer* handle() { return producer_.get(); }

 private:
  class DeliveryDispatcher;
  Producer() = default;
  struct Envelope;
  // Enqueues; on failure `envelope` stays owned by the caller.
  absl::Status Enqueue(const OutgoingRecord& record, std::unique_ptr<Envelope>& envelope);
  void Reported(uint64_t epoch);

  // Enqueued, not yet reported, records per epoch (zero counts are erased).
  mutable std::mutex epochs_mu_;
  std::map<uint64_t, int64_t> epoch_outstanding_;
  uint64_t open_epoch_ = 0;

  std::unique_ptr<DeliveryDispatcher> dispatcher_;
  std::unique_ptr<ClientEvents> events_;
  std::unique_ptr<RdKafka::Producer> producer_;
  std::string bootstrap_;
};

}  // namespace leadflow::kafka
