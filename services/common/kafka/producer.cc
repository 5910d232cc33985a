// Producer wrapper over librdkafka's C++ API.
#include "services/common/kafka/producer.h"

#include <atomic>

#include "librdkafka/rdkafkacpp.h"
#include "services/common/base/status_macros.h"
#include "services/common/base/strings.h"
#include "services/common/kafka/client_events.h"
#include "services/common/kafka/partition_list.h"
#include "services/common/log/log.h"

namespace leadflow::kafka {

// What travels with each record as the message opaque: its delivery epoch and the caller's
// callback (may be empty). Owned by a unique_ptr on both sides of librdkafka.
struct Producer::Envelope {
  uint64_t epoch = 0;
  DeliveryCallback callback;
};

// Turns librdkafka's per-message delivery callback into the caller's std::function and the epoch
// accounting.
class Producer::DeliveryDispatcher : public RdKafka::DeliveryReportCb {
 public:
  explicit DeliveryDispatcher(Producer* owner) : owner_(owner) {}

  void dr_cb(RdKafka::Message& message) override {
    if (message.err() != RdKafka::ERR_NO_ERROR) failures.fetch_add(1, std::memory_order_relaxed);
    std::unique_ptr<Envelope> envelope(static_cast<Envelope*>(message.msg_opaque()));
    if (envelope == nullptr) return;
    owner_->Reported(envelope->epoch);
    const DeliveryCallback& callback = envelope->callback;
    if (!callback) return;
    DeliveryReport report;
    report.topic = message.topic_name();
    report.partition = message.partition();
    report.offset = message.offset();
    report.status = FromKafkaError(message.err(), leadflow::StrCat("delivery to ", report.topic),
                                   message.err() == RdKafka::ERR_NO_ERROR ? "" : message.errstr());
    callback(report);
  }

  std::atomic<int64_t> failures{0};

 private:
  Producer* owner_;
};

absl::StatusOr<std::unique_ptr<Producer>> Producer::Create(const Properties& properties) {
  const Properties effective = Merge(
      {
          {"enable.idempotence", "true"},
          {"acks", "all"},
          {"partitioner", "murmur2_random"},
          {"linger.ms", "5"},
      },
      properties);
  auto bootstrap = effective.find("bootstrap.servers");
  if (bootstrap == effective.end() || bootstrap->second.empty()) {
    return absl::InvalidArgumentError("kafka property 'bootstrap.servers' is required");
  }
  LF_ASSIGN_OR_RETURN(std::unique_ptr<RdKafka::Conf> conf, MakeConf(effective));
  auto producer = std::unique_ptr<Producer>(new Producer());
  producer->bootstrap_ = bootstrap->second;
  producer->dispatcher_ = std::make_unique<DeliveryDispatcher>(producer.get());
  producer->events_ = std::make_unique<ClientEvents>("producer");
  std::string errstr;
  if (conf->set("dr_cb", producer->dispatcher_.get(), errstr) != RdKafka::Conf::CONF_OK ||
      conf->set("event_cb", producer->events_.get(), errstr) != RdKafka::Conf::CONF_OK) {
    return absl::InternalError(leadflow::StrCat("kafka producer callbacks: ", errstr));
  }
  producer->producer_.reset(RdKafka::Producer::create(conf.get(), errstr));
  if (producer->producer_ == nullptr) {
    return absl::InvalidArgumentError(leadflow::StrCat("kafka producer: ", errstr));
  }
  return producer;
}

Producer::~Producer() {
  if (producer_ == nullptr) return;
  if (absl::Status s = Flush(std::chrono::seconds(10)); !s.ok()) {
    log::Warn("producer closed with undelivered records", {{"error", std::string(s.message())}});
  }
  // Undelivered messages still hold their envelopes; purge makes librdkafka report them (as
  // purged) so every envelope is freed before the handle goes.
  producer_->purge(RdKafka::Producer::PURGE_QUEUE | RdKafka::Producer::PURGE_INFLIGHT);
  producer_->poll(0);
}

absl::Status Producer::Enqueue(const OutgoingRecord& record, std::unique_ptr<Envelope>& envelope) {
  if (absl::Status fatal = FatalError(); !fatal.ok()) {
    return absl::FailedPreconditionError(std::string(fatal.message()));
  }
  std::unique_ptr<RdKafka::Headers> headers;
  if (!record.headers.empty()) {
    headers.reset(RdKafka::Headers::create());
    for (const Header& h : record.headers) {
      headers->add(h.key, h.value.data(), h.value.size());
    }
  }
  {
    std::lock_guard<std::mutex> lock(epochs_mu_);
    envelope->epoch = open_epoch_;
    ++epoch_outstanding_[open_epoch_];
  }
  const RdKafka::ErrorCode err = producer_->produce(
      record.topic, record.partition.value_or(RdKafka::Topic::PARTITION_UA),
      RdKafka::Producer::RK_MSG_COPY,
      record.value.has_value() ? const_cast<char*>(record.value->data()) : nullptr,
      record.value.has_value() ? record.value->size() : 0, record.key.data(), record.key.size(),
      /*timestamp=*/0, headers.get(), envelope.get());
  if (err != RdKafka::ERR_NO_ERROR) {
    // On failure librdkafka took ownership of neither the headers nor the opaque: the envelope
    // stays with the caller for another attempt.
    Reported(envelope->epoch);
    return FromKafkaError(err, leadflow::StrCat("produce to ", record.topic));
  }
  // On success librdkafka owns the headers and will hand the envelope back in dr_cb.
  (void)headers.release();
  (void)envelope.release();
  return absl::OkStatus();
}

void Producer::Reported(uint64_t epoch) {
  std::lock_guard<std::mutex> lock(epochs_mu_);
  auto it = epoch_outstanding_.find(epoch);
  if (it != epoch_outstanding_.end() && --it->second <= 0) epoch_outstanding_.erase(it);
}

uint64_t Producer::SealEpoch() {
  std::lock_guard<std::mutex> lock(epochs_mu_);
  return open_epoch_++;
}

bool Producer::EpochDelivered(uint64_t epoch) const {
  std::lock_guard<std::mutex> lock(epochs_mu_);
  return epoch_outstanding_.empty() || epoch_outstanding_.begin()->first > epoch;
}

absl::Status Producer::Produce(const OutgoingRecord& record, DeliveryCallback on_delivery) {
  auto envelope = std::make_unique<Envelope>(Envelope{0, std::move(on_delivery)});
  return Enqueue(record, envelope);
}

absl::Status Producer::ProduceOrWait(const OutgoingRecord& record, DeliveryCallback on_delivery) {
  auto envelope = std::make_unique<Envelope>(Envelope{0, std::move(on_delivery)});
  while (true) {
    absl::Status s = Enqueue(record, envelope);
    if (s.code() != absl::StatusCode::kResourceExhausted) return s;
    // Backpressure: serve delivery reports until the queue has room, instead of growing it.
    Poll(std::chrono::milliseconds(10));
  }
}

int Producer::Poll(std::chrono::milliseconds timeout) {
  return producer_->poll(static_cast<int>(timeout.count()));
}

absl::Status Producer::Flush(std::chrono::milliseconds timeout) {
  const RdKafka::ErrorCode err = producer_->flush(static_cast<int>(timeout.count()));
  if (err == RdKafka::ERR__TIMED_OUT) {
    return absl::DeadlineExceededError(leadflow::StrCat(
        "kafka producer: ", producer_->outq_len(), " records still outstanding after ",
        timeout.count(), " ms (bootstrap ", bootstrap_, "; last client error: ",
        events_->last_error().empty() ? "none" : events_->last_error(), ")"));
  }
  return FromKafkaError(err, "kafka producer flush");
}

int Producer::outstanding() const { return producer_->outq_len(); }

int64_t Producer::delivery_failures() const {
  return dispatcher_->failures.load(std::memory_order_relaxed);
}

namespace {

// Maps a transactional API error to the action the caller must take (see producer.h).
absl::Status FromTxnError(RdKafka::Error* raw, std::string_view what) {
  std::unique_ptr<RdKafka::Error> error(raw);
  if (error == nullptr) return absl::OkStatus();
  const std::string msg = StrCat("kafka ", what, ": ", error->str());
  if (error->is_fatal()) return absl::FailedPreconditionError(msg);
  if (error->txn_requires_abort()) return absl::AbortedError(msg);
  if (error->is_retriable()) return absl::UnavailableError(msg);
  // Not retriable, not abortable, not fatal (e.g. a state error from misuse): treat as fatal so it
  // is never silently ignored.
  return absl::FailedPreconditionError(msg);
}

}  // namespace

absl::Status Producer::InitTransactions(std::chrono::milliseconds timeout) {
  return FromTxnError(producer_->init_transactions(static_cast<int>(timeout.count())),
                      "init transactions");
}

absl::Status Producer::BeginTransaction() {
  return FromTxnError(producer_->begin_transaction(), "begin transaction");
}

absl::Status Producer::SendOffsetsToTransaction(const std::vector<TopicPartitionOffset>& offsets,
                                                RdKafka::KafkaConsumer* consumer,
                                                std::chrono::milliseconds timeout) {
  PartitionList parts(offsets);
  std::unique_ptr<RdKafka::ConsumerGroupMetadata> metadata(consumer->groupMetadata());
  return FromTxnError(producer_->send_offsets_to_transaction(parts.items(), metadata.get(),
                                                             static_cast<int>(timeout.count())),
                      "send offsets to transaction");
}

absl::Status Producer::CommitTransaction(std::chrono::milliseconds timeout) {
  return FromTxnError(producer_->commit_transaction(static_cast<int>(timeout.count())),
                      "commit transaction");
}

absl::Status Producer::AbortTransaction(std::chrono::milliseconds timeout) {
  return FromTxnError(producer_->abort_transaction(static_cast<int>(timeout.count())),
                      "abort transaction");
}

absl::Status Producer::FatalError() const {
  if (!events_->fatal()) return absl::OkStatus();
  std::string errstr;
  const RdKafka::ErrorCode err = producer_->fatal_error(errstr);
  return FromKafkaError(err, "kafka producer fatal error", errstr);
}

}  // namespace leadflow::kafka
