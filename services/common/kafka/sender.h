// Durable sends for request/response paths (APIs, the CLI): a call returns OK for a record only
// after the broker acknowledged it (idempotent producer, acks=all). One background thread serves
// delivery reports, so many API threads can send at once.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/common/kafka/producer.h"

namespace leadflow::kafka {

class Sender {
 public:
  // `properties` as for Producer; here message.timeout.ms defaults to 10 s (an API caller waits
  // for the answer, so a dead broker must turn into an error quickly) and linger.ms to 1 (a
  // caller waits for its record; batching happens anyway under load).
  static absl::StatusOr<std::unique_ptr<Sender>> Create(const Properties& properties);
  ~Sender();
  Sender(const Sender&) = delete;
  Sender& operator=(const Sender&) = delete;

  // Records in flight together; Wait() returns one status per Add(), in order.
  class Batch {
   public:
    // Enqueues (blocking while the producer queue is full). The record's status is set at once
    // when it cannot even be enqueued.
    void Add(const OutgoingRecord& record);
    // Waits until every record is acknowledged or failed, at most `timeout`. A record still in
    // flight then gets Unavailable ("not acknowledged in time": it may still be written later,
    // so a caller retries with the same idempotency key).
    std::vector<absl::Status> Wait(std::chrono::milliseconds timeout);

   private:
    friend class Sender;
    struct State;
    explicit Batch(Producer* producer);
    Producer* producer_;
    std::shared_ptr<State> state_;
  };

  Batch NewBatch() { return Batch(producer_.get()); }
  // One record, durably; the status of Batch::Wait.
  absl::Status Send(const OutgoingRecord& record, std::chrono::milliseconds timeout);

 private:
  Sender() = default;
  std::unique_ptr<Producer> producer_;
  std::atomic<bool> stop_{false};
  std::thread poller_;
};

}  // namespace leadflow::kafka
