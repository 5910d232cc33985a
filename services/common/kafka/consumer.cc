// Consumer wrapper over librdkafka's KafkaConsumer.
#include "services/common/kafka/consumer.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <utility>

#include "librdkafka/rdkafkacpp.h"
#include "services/common/base/status_macros.h"
#include "services/common/base/strings.h"
#include "services/common/kafka/client_events.h"
#include "services/common/kafka/partition_list.h"
#include "services/common/log/log.h"

namespace leadflow::kafka {
namespace {

std::vector<TopicPartition> ToPartitions(const std::vector<RdKafka::TopicPartition*>& in) {
  std::vector<TopicPartition> out;
  out.reserve(in.size());
  for (const RdKafka::TopicPartition* tp : in) out.push_back({tp->topic(), tp->partition()});
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

// Eager (range) rebalancing: the whole assignment is replaced at each rebalance. Cooperative
// protocols would also work but make co-partitioned assignment harder to reason about.
class Consumer::Rebalancer : public RdKafka::RebalanceCb {
 public:
  Rebalancer(Consumer* owner, RebalanceListener* listener) : owner_(owner), listener_(listener) {}

  void rebalance_cb(RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode err,
                    std::vector<RdKafka::TopicPartition*>& partitions) override {
    const std::vector<TopicPartition> moved = ToPartitions(partitions);
    if (err == RdKafka::ERR__ASSIGN_PARTITIONS) {
      log::Info("partitions assigned", {{"count", moved.size()}});
      if (listener_ != nullptr) listener_->OnAssigned(moved);
      if (RdKafka::ErrorCode e = consumer->assign(partitions); e != RdKafka::ERR_NO_ERROR) {
        log::Error("assign failed", {{"error", RdKafka::err2str(e)}});
      }
      std::lock_guard<std::mutex> lock(owner_->mu_);
      owner_->assignment_ = moved;
    } else {
      const bool lost = consumer->assignment_lost();
      log::Info(lost ? "partitions lost" : "partitions revoked", {{"count", moved.size()}});
      if (listener_ != nullptr) {
        if (lost) {
          listener_->OnLost(moved);
        } else {
          listener_->OnRevoked(moved);
        }
      }
      if (RdKafka::ErrorCode e = consumer->unassign(); e != RdKafka::ERR_NO_ERROR) {
        log::Error("unassign failed", {{"error", RdKafka::err2str(e)}});
      }
      std::lock_guard<std::mutex> lock(owner_->mu_);
      owner_->assignment_.clear();
    }
  }

 private:
  Consumer* owner_;
  RebalanceListener* listener_;
};

// Outcomes of commits (async ones are otherwise silent): failures are logged and counted.
class Consumer::CommitResults : public RdKafka::OffsetCommitCb {
 public:
  void offset_commit_cb(RdKafka::ErrorCode err,
                        std::vector<RdKafka::TopicPartition*>& offsets) override {
    if (err == RdKafka::ERR__NO_OFFSET) return;  // nothing to commit
    std::string failed;
    if (err == RdKafka::ERR_NO_ERROR) {
      for (const RdKafka::TopicPartition* tp : offsets) {
        if (tp->err() == RdKafka::ERR_NO_ERROR) continue;
        leadflow::StrAppend(&failed, failed.empty() ? "" : ", ", tp->topic(), "[", tp->partition(),
                            "]: ", RdKafka::err2str(tp->err()));
      }
      if (failed.empty()) return;
    } else {
      failed = RdKafka::err2str(err);
    }
    failures.fetch_add(1, std::memory_order_relaxed);
    log::Warn("offset commit failed", {{"error", failed}});
  }

  std::atomic<int64_t> failures{0};
};

absl::StatusOr<std::unique_ptr<Consumer>> Consumer::Create(const Properties& properties,
                                                           RebalanceListener* listener) {
  const Properties effective = Merge(
      {
          {"partition.assignment.strategy", "range"},
          {"isolation.level", "read_committed"},
          {"enable.auto.commit", "false"},
          {"enable.auto.offset.store", "false"},
          {"auto.offset.reset", "earliest"},
          // Bounded prefetch, but not a throttle. librdkafka 2.0 stops fetching a partition once
          // the consumer queue holds queued.min.messages or queued.max.messages.kbytes, and looks
          // again only about twice a second; so the bound divided by ~0.5 s caps the rate at
          // which a backlog is read. 10,000 messages / 8 MiB capped a relay at ~18,000 records/s
          // with the CPU idle (30,000: ~60,000/s; 100,000 / 32 MiB: 94-130,000/s, CPU-bound), see
          // docs/benchmarks.md. The byte bound is what limits memory: 32 MiB per consumer,
          // half librdkafka's default (the number of messages is librdkafka's default).
          {"queued.min.messages", "100000"},
          {"queued.max.messages.kbytes", "32768"},
      },
      properties);
  for (const char* required : {"bootstrap.servers", "group.id"}) {
    auto it = effective.find(required);
    if (it == effective.end() || it->second.empty()) {
      return absl::InvalidArgumentError(
          leadflow::StrCat("kafka property '", required, "' is required"));
    }
  }
  LF_ASSIGN_OR_RETURN(std::unique_ptr<RdKafka::Conf> conf, MakeConf(effective));
  auto consumer = std::unique_ptr<Consumer>(new Consumer());
  consumer->events_ = std::make_unique<ClientEvents>("consumer");
  consumer->rebalancer_ = std::make_unique<Rebalancer>(consumer.get(), listener);
  consumer->commit_results_ = std::make_unique<CommitResults>();
  std::string errstr;
  if (conf->set("event_cb", consumer->events_.get(), errstr) != RdKafka::Conf::CONF_OK ||
      conf->set("rebalance_cb", consumer->rebalancer_.get(), errstr) != RdKafka::Conf::CONF_OK ||
      conf->set("offset_commit_cb", consumer->commit_results_.get(), errstr) !=
          RdKafka::Conf::CONF_OK) {
    return absl::InternalError(leadflow::StrCat("kafka consumer callbacks: ", errstr));
  }
  consumer->consumer_.reset(RdKafka::KafkaConsumer::create(conf.get(), errstr));
  if (consumer->consumer_ == nullptr) {
    return absl::InvalidArgumentError(leadflow::StrCat("kafka consumer: ", errstr));
  }
  return consumer;
}

Consumer::~Consumer() {
  if (absl::Status s = Close(); !s.ok()) {
    log::Warn("consumer close failed", {{"error", std::string(s.message())}});
  }
}

absl::Status Consumer::Subscribe(const std::vector<std::string>& topics) {
  return FromKafkaError(consumer_->subscribe(topics), "kafka subscribe");
}

absl::StatusOr<std::optional<ConsumedRecord>> Consumer::Poll(std::chrono::milliseconds timeout) {
  std::unique_ptr<RdKafka::Message> message(consumer_->consume(static_cast<int>(timeout.count())));
  if (message == nullptr) return std::optional<ConsumedRecord>();
  switch (message->err()) {
    case RdKafka::ERR_NO_ERROR:
      return std::optional<ConsumedRecord>(ConsumedRecord(std::move(message)));
    case RdKafka::ERR__TIMED_OUT:
      return std::optional<ConsumedRecord>();
    case RdKafka::ERR__PARTITION_EOF: {
      std::lock_guard<std::mutex> lock(mu_);
      eofs_.push_back({message->topic_name(), message->partition()});
      return std::optional<ConsumedRecord>();
    }
    default:
      return FromKafkaError(message->err(), "kafka consume", message->errstr());
  }
}

std::vector<TopicPartition> Consumer::Assignment() const {
  std::lock_guard<std::mutex> lock(mu_);
  return assignment_;
}

absl::Status Consumer::CommitAsync(const std::vector<TopicPartitionOffset>& offsets) {
  PartitionList parts(offsets);
  return FromKafkaError(consumer_->commitAsync(parts.items()), "kafka commit");
}

int64_t Consumer::async_commit_failures() const {
  return commit_results_->failures.load(std::memory_order_relaxed);
}

absl::StatusOr<Consumer::Watermarks> Consumer::QueryWatermarks(const std::string& topic,
                                                               int32_t partition,
                                                               std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  Watermarks w;
  while (true) {
    const RdKafka::ErrorCode err = consumer_->query_watermark_offsets(
        topic, partition, &w.low, &w.high, static_cast<int>(timeout.count()));
    absl::Status s = FromKafkaError(err, leadflow::StrCat(topic, "[", partition, "] watermarks"));
    if (s.ok()) return w;
    const bool retriable =
        s.code() == absl::StatusCode::kUnavailable || s.code() == absl::StatusCode::kNotFound;
    if (!retriable || std::chrono::steady_clock::now() > deadline) return s;
    log::Warn("partition not ready; retrying", {{"error", std::string(s.message())}});
    // A topic this client is not subscribed to stays unknown to its metadata cache ("Unknown
    // partition") until metadata for it is requested: request it.
    std::string errstr;
    std::unique_ptr<RdKafka::Topic> handle(
        RdKafka::Topic::create(consumer_.get(), topic, nullptr, errstr));
    RdKafka::Metadata* raw = nullptr;
    if (handle != nullptr) (void)consumer_->metadata(false, handle.get(), &raw, 5000);
    std::unique_ptr<RdKafka::Metadata> metadata(raw);             // only the refresh matters
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // back off before asking again
  }
}

absl::StatusOr<std::vector<TopicPartitionOffset>> Consumer::Committed(
    const std::vector<TopicPartition>& partitions, std::chrono::milliseconds timeout) {
  PartitionList parts(partitions);
  LF_RETURN_IF_ERROR(FromKafkaError(
      consumer_->committed(parts.items(), static_cast<int>(timeout.count())), "kafka committed"));
  std::vector<TopicPartitionOffset> out;
  for (const RdKafka::TopicPartition* tp : parts.items()) {
    out.push_back({tp->topic(), tp->partition(), tp->offset()});
  }
  return out;
}

absl::StatusOr<std::vector<TopicPartitionOffset>> Consumer::OffsetsForTimes(
    const std::string& topic, const std::vector<int32_t>& partitions, int64_t timestamp_ms,
    std::chrono::milliseconds timeout) {
  std::vector<TopicPartitionOffset> query;
  for (int32_t p : partitions) query.push_back({topic, p, timestamp_ms});
  PartitionList parts(query);
  LF_RETURN_IF_ERROR(
      FromKafkaError(consumer_->offsetsForTimes(parts.items(), static_cast<int>(timeout.count())),
                     StrCat("kafka offsets for times of ", topic)));
  std::vector<TopicPartitionOffset> out;
  for (const RdKafka::TopicPartition* tp : parts.items()) {
    LF_RETURN_IF_ERROR(FromKafkaError(tp->err(), StrCat(topic, "[", tp->partition(), "] offset")));
    int64_t offset = tp->offset();
    if (offset < 0) {
      // No record at or after the time: the partition's end.
      LF_ASSIGN_OR_RETURN(Watermarks w, QueryWatermarks(topic, tp->partition(), timeout));
      offset = w.high;
    }
    out.push_back({topic, tp->partition(), offset});
  }
  return out;
}

absl::Status Consumer::Assign(const std::vector<TopicPartitionOffset>& positions) {
  PartitionList parts(positions);
  LF_RETURN_IF_ERROR(FromKafkaError(consumer_->assign(parts.items()), "kafka assign"));
  std::lock_guard<std::mutex> lock(mu_);
  assignment_ = ToPartitions(parts.items());
  return absl::OkStatus();
}

std::vector<TopicPartition> Consumer::TakeEofs() {
  std::lock_guard<std::mutex> lock(mu_);
  return std::exchange(eofs_, {});
}

absl::Status Consumer::Seek(const std::vector<TopicPartitionOffset>& positions,
                            std::chrono::milliseconds timeout) {
  for (const TopicPartitionOffset& p : positions) {
    std::unique_ptr<RdKafka::TopicPartition> tp(
        RdKafka::TopicPartition::create(p.topic, p.partition, p.offset));
    LF_RETURN_IF_ERROR(
        FromKafkaError(consumer_->seek(*tp, static_cast<int>(timeout.count())),
                       StrCat("kafka seek ", p.topic, "[", p.partition, "] to ", p.offset)));
  }
  return absl::OkStatus();
}

absl::Status Consumer::Pause(const std::vector<TopicPartition>& partitions) {
  PartitionList parts(partitions);
  return FromKafkaError(consumer_->pause(parts.items()), "kafka pause");
}

absl::Status Consumer::Resume(const std::vector<TopicPartition>& partitions) {
  PartitionList parts(partitions);
  return FromKafkaError(consumer_->resume(parts.items()), "kafka resume");
}

absl::Status Consumer::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_ || consumer_ == nullptr) return absl::OkStatus();
    closed_ = true;
  }
  return FromKafkaError(consumer_->close(), "kafka consumer close");
}

}  // namespace leadflow::kafka
