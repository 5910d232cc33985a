#include "services/common/kafka/sender.h"

#include <condition_variable>
#include <mutex>
#include <optional>

#include "services/common/base/strings.h"

namespace leadflow::kafka {

struct Sender::Batch::State {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::optional<absl::Status>> results;  // nullopt = still in flight
  size_t pending = 0;
};

Sender::Batch::Batch(Producer* producer) : producer_(producer), state_(std::make_shared<State>()) {}

void Sender::Batch::Add(const OutgoingRecord& record) {
  size_t index = 0;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    index = state_->results.size();
    state_->results.emplace_back();
    ++state_->pending;
  }
  std::shared_ptr<State> state = state_;
  absl::Status s = producer_->ProduceOrWait(record, [state, index](const DeliveryReport& r) {
    std::lock_guard<std::mutex> lock(state->mu);
    state->results[index] = r.status;
    if (--state->pending == 0) state->cv.notify_all();
  });
  if (!s.ok()) {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->results[index] = s;
    --state_->pending;
  }
}

std::vector<absl::Status> Sender::Batch::Wait(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(state_->mu);
  state_->cv.wait_for(lock, timeout, [&] { return state_->pending == 0; });
  std::vector<absl::Status> out;
  out.reserve(state_->results.size());
  for (const std::optional<absl::Status>& s : state_->results) {
    out.push_back(s.has_value() ? *s
                                : absl::UnavailableError(
                                      StrCat("not acknowledged by Kafka within ", timeout.count(),
                                             " ms; it may still be written — retry with the same "
                                             "idempotency key")));
  }
  return out;
}

absl::StatusOr<std::unique_ptr<Sender>> Sender::Create(const Properties& properties) {
  auto sender = std::unique_ptr<Sender>(new Sender());
  auto producer =
      Producer::Create(Merge({{"message.timeout.ms", "10000"}, {"linger.ms", "1"}}, properties));
  if (!producer.ok()) return producer.status();
  sender->producer_ = std::move(*producer);
  Sender* raw = sender.get();
  sender->poller_ = std::thread([raw] {
    while (!raw->stop_.load()) raw->producer_->Poll(std::chrono::milliseconds(50));
  });
  return sender;
}

Sender::~Sender() {
  stop_.store(true);
  if (poller_.joinable()) poller_.join();
}

absl::Status Sender::Send(const OutgoingRecord& record, std::chrono::milliseconds timeout) {
  Batch batch = NewBatch();
  batch.Add(record);
  return batch.Wait(timeout).front();
}

}  // namespace leadflow::kafka
