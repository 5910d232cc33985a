// The transactional consume → process → produce loop, after Kafka Streams' task/changelog design
// and librdkafka's examples/transactions.c.
#include "services/common/stream/stream_app.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <functional>
#include <thread>

#include "librdkafka/rdkafkacpp.h"
#include "services/common/base/status_macros.h"
#include "services/common/base/strings.h"
#include "services/common/kafka/admin.h"
#include "services/common/kafka/partitioner.h"
#include "services/common/log/log.h"

namespace leadflow::stream {
namespace {

constexpr int64_t kOffsetBeginning = -2;  // librdkafka's logical "beginning"
constexpr size_t kTimersPerCheck = 100;
constexpr std::chrono::milliseconds kTimerCheckEvery{10};

// Runs a transactional call, retrying it while it fails with a retriable error (Unavailable),
// at most 10 times; returns the last status.
absl::Status Retrying(const std::function<absl::Status()>& call) {
  absl::Status result;
  for (int attempt = 0; attempt < 10; ++attempt) {
    result = call();
    if (result.code() != absl::StatusCode::kUnavailable) break;
  }
  return result;
}

// Which instance runs which partition: 1 while this instance runs the task of input partition
// `partition` (restored and processing), 0 once it closed it. A count (leadflow_stream_tasks)
// cannot show that a partition is owned exactly once across the instances of a group.
metrics::Gauge& TaskOwnedGauge(metrics::Registry& registry, const std::string& app,
                               int32_t partition) {
  return registry.GetGauge("leadflow_stream_task_owned",
                           "1 while this instance runs the task of the input partition (restored "
                           "and processing), else 0.",
                           {{"app", app}, {"partition", std::to_string(partition)}});
}

}  // namespace

struct StreamApp::Metrics {
  Metrics(metrics::Registry& r, const std::string& app)
      : records_in(r.GetCounter("leadflow_stream_records_in_total", "Input records processed.",
                                {{"app", app}})),
        records_out(r.GetCounter("leadflow_stream_records_out_total",
                                 "Output records produced (outputs, not changelog or DLQ).",
                                 {{"app", app}})),
        dlq(r.GetCounter("leadflow_stream_dlq_total", "Records sent to the dead-letter topic.",
                         {{"app", app}})),
        duplicates(r.GetCounter("leadflow_stream_duplicates_dropped_total",
                                "Re-delivered records below the next expected offset, dropped.",
                                {{"app", app}})),
        unowned(r.GetCounter("leadflow_stream_unowned_records_total",
                             "Records of partitions no longer assigned here, left to their owner.",
                             {{"app", app}})),
        commits(r.GetCounter("leadflow_stream_commits_total", "Transactions committed.",
                             {{"app", app}})),
        aborts(r.GetCounter("leadflow_stream_aborts_total", "Transactions aborted and rewound.",
                            {{"app", app}})),
        timers_fired(
            r.GetCounter("leadflow_stream_timers_fired_total", "Timers fired.", {{"app", app}})),
        timers_failed(r.GetCounter("leadflow_stream_timers_failed_total",
                                   "Timers whose effects were dropped (rejected or failing).",
                                   {{"app", app}})),
        erasure_compactions(r.GetCounter("leadflow_stream_erasure_compactions_total",
                                         "Task stores compacted so erased values leave the files.",
                                         {{"app", app}})),
        restored(r.GetCounter("leadflow_stream_restored_records_total",
                              "Changelog records applied while restoring state.", {{"app", app}})),
        restore_seconds(r.GetGauge("leadflow_stream_last_restore_seconds",
                                   "Duration of the last task restore.", {{"app", app}})),
        tasks(r.GetGauge("leadflow_stream_tasks", "Tasks (partitions) owned.", {{"app", app}})),
        offset_commit_failures(r.GetCounter(
            "leadflow_stream_offset_commit_failures_total",
            "Asynchronous group offset commits that failed (at-least-once: re-delivery, skipped "
            "by the applied-offset guard).",
            {{"app", app}})),
        commit_latency(r.GetHistogram("leadflow_stream_commit_latency_seconds",
                                      "Time to commit one transaction.", metrics::LatencyBuckets(),
                                      {{"app", app}})),
        process_latency(r.GetHistogram("leadflow_stream_process_latency_seconds",
                                       "Time in the processor per record.",
                                       metrics::LatencyBuckets(), {{"app", app}})) {}

  metrics::Counter& records_in;
  metrics::Counter& records_out;
  metrics::Counter& dlq;
  metrics::Counter& duplicates;
  metrics::Counter& unowned;
  metrics::Counter& commits;
  metrics::Counter& aborts;
  metrics::Counter& timers_fired;
  metrics::Counter& timers_failed;
  metrics::Counter& erasure_compactions;
  metrics::Counter& restored;
  metrics::Gauge& restore_seconds;
  metrics::Gauge& tasks;
  metrics::Counter& offset_commit_failures;
  metrics::Histogram& commit_latency;
  metrics::Histogram& process_latency;
};

struct StreamApp::Task {
  int32_t partition = 0;
  std::unique_ptr<TaskState> state;
  int64_t changelog_high = -1;  // highest changelog offset produced in the open transaction
  // When the task's store became due for compaction after an erasure (steady clock).
  std::optional<std::chrono::steady_clock::time_point> compaction_due_since;
};

namespace {
// The runtime's own timer (never shown to a processor): due erasure_max_lag after an erasure, its
// firing appends to the changelog partition (the timer's own tombstones) so Kafka rolls the
// segment holding the erased values and the cleaner compacts it.
constexpr char kErasureRollTimer[] =
    "\x01"
    "leadflow.erasure-roll";
}  // namespace

// The Context a processor sees for one record or timer of one task.
class StreamApp::TaskContext : public Context {
 public:
  TaskContext(Task& task, const Clock& clock,
              const std::map<std::string, std::unique_ptr<GlobalTable>, std::less<>>& globals,
              std::chrono::milliseconds erasure_max_lag)
      : task_(task), clock_(clock), globals_(globals), erasure_max_lag_(erasure_max_lag) {}

  int32_t partition() const override { return task_.partition; }
  int64_t now_ms() const override { return clock_.NowMillis(); }

  absl::StatusOr<std::optional<std::string>> Get(std::string_view store,
                                                 std::string_view key) override {
    auto value = task_.state->Get(store, key);
    if (!value.ok()) error_ = value.status();
    return value;
  }
  void Put(std::string_view store, std::string_view key, std::string_view value) override {
    task_.state->Put(store, key, value);
  }
  void Delete(std::string_view store, std::string_view key) override {
    task_.state->Delete(store, key);
  }
  void Erase(std::string_view store, std::string_view key) override {
    task_.state->Erase(store, key);
    // The latest erasure decides: the segment holding it may have started after an earlier one's
    // timer was set. (Erasures in a row are appends themselves, so they roll segments as they go.)
    ScheduleTimer(kErasureRollTimer, clock_.NowMillis() + erasure_max_lag_.count() + 1000, "");
  }
  absl::StatusOr<ScanPage> Scan(std::string_view store, std::string_view after,
                                size_t limit) override {
    auto page = task_.state->Scan(store, after, limit);
    if (!page.ok()) error_ = page.status();
    return page;
  }
  absl::StatusOr<uint64_t> GlobalGeneration(std::string_view topic) override {
    auto table = globals_.find(topic);
    if (table == globals_.end()) {
      return absl::InvalidArgumentError(StrCat("'", topic, "' is not a global table of this app"));
    }
    return table->second->generation();
  }
  absl::StatusOr<std::optional<std::string>> GetGlobal(std::string_view topic,
                                                       std::string_view key) override {
    auto table = globals_.find(topic);
    if (table == globals_.end()) {
      return absl::InvalidArgumentError(StrCat("'", topic, "' is not a global table of this app"));
    }
    auto value = table->second->Get(key);
    if (!value.ok()) error_ = value.status();
    return value;
  }
  void Emit(kafka::OutgoingRecord record) override { emits_.push_back(std::move(record)); }
  void DeadLetterInput(v1::DeadLetterReason reason, std::string_view detail) override {
    dead_letter_.emplace(reason, std::string(detail));
  }

  void ScheduleTimer(std::string_view key, int64_t due_ms, std::string_view payload) override {
    CancelTimer(key);
    task_.state->Put(kTimersStore, EncodeDue(due_ms) + std::string(key), payload);
    task_.state->Put(kTimerIndexStore, key, EncodeDue(due_ms));
  }
  void CancelTimer(std::string_view key) override {
    auto old = task_.state->Get(kTimerIndexStore, key);
    if (!old.ok()) {
      error_ = old.status();
      return;
    }
    if (old->has_value()) {
      task_.state->Delete(kTimersStore, **old + std::string(key));
      task_.state->Delete(kTimerIndexStore, key);
    }
  }

  // A state read failure inside the processor is an infrastructure failure even if the processor
  // ignored it.
  const absl::Status& error() const { return error_; }
  std::vector<kafka::OutgoingRecord>& emits() { return emits_; }
  const std::optional<std::pair<v1::DeadLetterReason, std::string>>& dead_letter() const {
    return dead_letter_;
  }

 private:
  Task& task_;
  const Clock& clock_;
  const std::map<std::string, std::unique_ptr<GlobalTable>, std::less<>>& globals_;
  std::chrono::milliseconds erasure_max_lag_;
  std::vector<kafka::OutgoingRecord> emits_;
  std::optional<std::pair<v1::DeadLetterReason, std::string>> dead_letter_;
  absl::Status error_;
};

absl::StatusOr<std::unique_ptr<StreamApp>> StreamApp::Create(StreamOptions options,
                                                             std::unique_ptr<Processor> processor,
                                                             metrics::Registry* registry) {
  if (options.application_id.empty())
    return absl::InvalidArgumentError("application_id is required");
  if (options.input_topics.empty()) return absl::InvalidArgumentError("input_topics is required");
  if (options.state_dir.empty()) return absl::InvalidArgumentError("state_dir is required");
  if (processor == nullptr || registry == nullptr) {
    return absl::InvalidArgumentError("processor and metrics registry are required");
  }
  for (const std::string& s : options.stores) {
    if (s.empty() || s.rfind("__", 0) == 0 || s.find('\0') != std::string::npos) {
      return absl::InvalidArgumentError(StrCat("store name '", s, "' is reserved or invalid"));
    }
  }
  if (options.changelog_topic.empty()) {
    options.changelog_topic = StrCat(options.application_id, ".state.changelog");
  }
  return std::unique_ptr<StreamApp>(
      new StreamApp(std::move(options), std::move(processor), registry));
}

StreamApp::StreamApp(StreamOptions options, std::unique_ptr<Processor> processor,
                     metrics::Registry* registry)
    : options_(std::move(options)),
      processor_(std::move(processor)),
      registry_(registry),
      metrics_(std::make_unique<Metrics>(*registry, options_.application_id)),
      clock_(options_.clock != nullptr ? options_.clock : &system_clock_) {}

StreamApp::~StreamApp() { CloseTasks(); }

std::vector<int32_t> StreamApp::ActiveTasks() const {
  std::shared_lock<std::shared_mutex> lock(tasks_mu_);
  std::vector<int32_t> out;
  for (const auto& [p, t] : tasks_) out.push_back(p);
  return out;
}

void StreamApp::SetFatal(absl::Status status) {
  if (fatal_.ok()) {
    log::Error("stream fatal error",
               {{"app", options_.application_id}, {"error", std::string(status.message())}});
    fatal_ = std::move(status);
  }
}

absl::Status StreamApp::EnsureTopics() {
  LF_ASSIGN_OR_RETURN(auto admin, kafka::Admin::Create(options_.kafka));
  LF_ASSIGN_OR_RETURN(kafka::ClusterInfo info, admin->Describe(options_.kafka_timeout));
  int partitions = -1;
  for (const std::string& topic : options_.input_topics) {
    auto it = info.topics.find(topic);
    if (it == info.topics.end()) {
      return absl::NotFoundError(StrCat("input topic '", topic, "' does not exist"));
    }
    if (partitions >= 0 && it->second != partitions) {
      return absl::FailedPreconditionError(
          StrCat("input topics are not co-partitioned: '", topic, "' has ", it->second,
                 " partitions, '", options_.input_topics.front(), "' has ", partitions));
    }
    partitions = it->second;
  }
  input_partitions_.store(partitions);
  auto changelog = info.topics.find(options_.changelog_topic);
  if (changelog == info.topics.end()) {
    const int replication = std::min<int>(3, static_cast<int>(info.brokers.size()));
    log::Info("creating changelog topic",
              {{"topic", options_.changelog_topic}, {"partitions", partitions}});
    return admin->CreateTopics(
        {{options_.changelog_topic,
          partitions,
          replication,
          {{"cleanup.policy", "compact"},
           {"max.compaction.lag.ms", std::to_string(options_.erasure_max_lag.count())}}}},
        options_.kafka_timeout, /*ignore_existing=*/true);
  }
  if (changelog->second != partitions) {
    return absl::FailedPreconditionError(StrCat("changelog '", options_.changelog_topic, "' has ",
                                                changelog->second, " partitions, the inputs have ",
                                                partitions));
  }
  return absl::OkStatus();
}

const GlobalTable* StreamApp::global_table(std::string_view topic) const {
  std::lock_guard<std::mutex> lock(globals_mu_);
  auto it = global_tables_.find(topic);
  return it == global_tables_.end() ? nullptr : it->second.get();
}

absl::StatusOr<StreamApp::LocalRead> StreamApp::ReadCommitted(
    std::string_view store, std::string_view key,
    std::optional<std::string_view> partition_key) const {
  std::shared_lock<std::shared_mutex> visible(visibility_mu_);
  std::shared_lock<std::shared_mutex> lock(tasks_mu_);
  LocalRead out;
  const int partitions = input_partitions_.load();
  out.all_local = partitions > 0 && static_cast<int>(tasks_.size()) == partitions;
  if (partitions > 0)
    out.partition = kafka::DefaultPartition(partition_key.value_or(key), partitions);
  const auto task = tasks_.find(out.partition);
  if (task == tasks_.end()) return out;
  out.owned = true;
  LF_ASSIGN_OR_RETURN(out.value, task->second->state->GetCommitted(store, key));
  return out;
}

absl::Status NotOwnedError(std::string_view what, const StreamApp::LocalRead& read,
                           std::string_view hint) {
  if (read.partition < 0) {
    return absl::UnavailableError(
        StrCat(what, ": this instance has not joined its consumer group yet; ", hint));
  }
  return absl::UnavailableError(StrCat(what, " is on partition ", read.partition,
                                       ", which this instance does not run now (another instance "
                                       "does, or the group is rebalancing); ",
                                       hint));
}

absl::StatusOr<std::optional<std::string>> StreamApp::AwaitCommitted(
    std::string_view store, std::string_view key,
    const std::function<bool(const std::optional<std::string>&)>& done,
    std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    LF_ASSIGN_OR_RETURN(LocalRead read, ReadCommitted(store, key));
    if (done(read.value)) return std::move(read.value);
    if (std::chrono::steady_clock::now() >= deadline) {
      return absl::DeadlineExceededError(StrCat("not applied within ", timeout.count(), " ms"));
    }
    // A commit interval is ~100 ms: polling every 10 ms answers soon after the commit.
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

absl::StatusOr<bool> StreamApp::ScanCommitted(
    std::string_view store,
    const std::function<bool(int32_t, std::string_view, std::string_view)>& fn) const {
  std::shared_lock<std::shared_mutex> visible(visibility_mu_);
  std::shared_lock<std::shared_mutex> lock(tasks_mu_);
  const bool all_local =
      input_partitions_.load() > 0 && static_cast<int>(tasks_.size()) == input_partitions_.load();
  bool more = true;
  for (const auto& [partition, task] : tasks_) {
    if (!more) break;
    LF_RETURN_IF_ERROR(
        task->state->ScanCommitted(store, [&](std::string_view k, std::string_view v) {
          more = fn(partition, k, v);
          return more;
        }));
  }
  return all_local;
}

absl::Status StreamApp::Start() {
  LF_RETURN_IF_ERROR(EnsureTopics());
  kafka::Properties producer_props = options_.kafka;
  if (exactly_once()) {
    producer_props = kafka::Merge({{"transaction.timeout.ms", "10000"}}, options_.kafka);
    producer_props["transactional.id"] = StrCat(options_.application_id, "-", options_.instance_id);
  }
  LF_ASSIGN_OR_RETURN(producer_, kafka::Producer::Create(producer_props));
  if (exactly_once()) {
    // Fences a previous incarnation of this instance and aborts its open transaction, so the last
    // stable offset of our outputs and changelog moves on at once instead of after a timeout.
    LF_RETURN_IF_ERROR(
        Retrying([&] { return producer_->InitTransactions(options_.kafka_timeout); }));
  }

  // Global tables are complete before the first record is processed.
  for (const std::string& topic : options_.global_tables) {
    LF_ASSIGN_OR_RETURN(auto table, GlobalTable::Open({topic, options_.state_dir, options_.kafka,
                                                       options_.kafka_timeout},
                                                      registry_));
    LF_RETURN_IF_ERROR(table->WaitUntilCaughtUp(options_.kafka_timeout));
    std::lock_guard<std::mutex> lock(globals_mu_);  // global_table() reads from API threads
    global_tables_.emplace(topic, std::move(table));
  }

  // max.poll.interval.ms is also the rebalance timeout librdkafka sends with JoinGroup, and its
  // JoinGroup request times out 3 s after it. librdkafka's 300 s default let a group sit without
  // partitions for ~5 minutes after a broker restart (docs/reliability.md); 60 s bounds that. The
  // loop polls every 100 ms, and a restore runs inside the rebalance callback, i.e. inside poll,
  // where librdkafka does not enforce the interval.
  kafka::Properties consumer_props =
      kafka::Merge({{"max.poll.interval.ms", "60000"}}, options_.kafka);
  consumer_props["group.id"] = options_.application_id;
  LF_ASSIGN_OR_RETURN(consumer_, kafka::Consumer::Create(consumer_props, this));
  LF_RETURN_IF_ERROR(consumer_->Subscribe(options_.input_topics));
  log::Info("stream started",
            {{"app", options_.application_id},
             {"guarantee", exactly_once() ? "exactly-once" : "at-least-once"},
             {"transactional_id", exactly_once() ? producer_props["transactional.id"] : ""}});
  return absl::OkStatus();
}

absl::Status StreamApp::Run(const std::atomic<bool>& stop) {
  LF_RETURN_IF_ERROR(Start());
  while (!stop.load()) {
    if (!fatal_.ok()) break;
    for (const auto& [topic, table] : global_tables_) {
      if (absl::Status h = table->health(); !h.ok()) SetFatal(h);
    }
    if (absl::Status f = producer_->FatalError(); !f.ok()) {
      SetFatal(absl::FailedPreconditionError(std::string(f.message())));
      break;
    }
    auto polled = consumer_->Poll(std::chrono::milliseconds(txn_open_ ? 5 : 50));
    // One clock read per iteration: reading clocks per record showed up in profiles.
    loop_now_ = std::chrono::steady_clock::now();
    if (!polled.ok()) {
      // Consumer errors are transient (broker restarts, rebalances); librdkafka recovers.
      log::Warn("consume error", {{"error", std::string(polled.status().message())}});
    } else if (polled->has_value()) {
      if (absl::Status s = HandleRecord(std::move(**polled)); !s.ok()) SetFatal(s);
    }
    if (!fatal_.ok()) break;
    if (absl::Status s = FireDueTimers(); !s.ok()) SetFatal(s);
    if (fatal_.ok() && sealed_.has_value()) {
      if (absl::Status s = CompleteSealed(/*wait=*/false); !s.ok()) SetFatal(s);
    }
    if (fatal_.ok() && txn_open_ && CommitDue()) {
      if (absl::Status s = Commit(/*wait=*/false); !s.ok()) SetFatal(s);
    }
    // Between transactions only: a long compaction must not outlive the transaction timeout.
    if (fatal_.ok() && !txn_open_ && !sealed_.has_value()) {
      if (absl::Status s = CompactErased(); !s.ok()) SetFatal(s);
    }
    producer_->Poll(std::chrono::milliseconds(0));
    UpdateLag();
  }
  if (fatal_.ok()) {
    if (absl::Status s = Commit(/*wait=*/true); !s.ok()) SetFatal(s);
    // Leaving the group revokes the partitions (OnRevoked commits and closes the tasks).
    if (absl::Status s = consumer_->Close(); !s.ok()) {
      log::Warn("consumer close", {{"error", std::string(s.message())}});
    }
  }
  CloseTasks();
  log::Info("stream stopped", {{"app", options_.application_id},
                               {"status", fatal_.ok() ? "ok" : std::string(fatal_.message())}});
  return fatal_;
}

void StreamApp::UpdateLag() {
  const auto now = loop_now_;
  if (now - last_lag_update_ < std::chrono::seconds(1)) return;
  last_lag_update_ = now;
  const int64_t commit_failures = consumer_->async_commit_failures();
  if (commit_failures > reported_commit_failures_) {
    metrics_->offset_commit_failures.Increment(
        static_cast<double>(commit_failures - reported_commit_failures_));
    reported_commit_failures_ = commit_failures;
  }
  for (const auto& [tp, next] : next_offset_) {
    int64_t low = 0;
    int64_t high = 0;
    // Cached from fetch responses: no broker round trip.
    if (consumer_->handle()->get_watermark_offsets(tp.topic, tp.partition, &low, &high) !=
            RdKafka::ERR_NO_ERROR ||
        high < 0) {
      continue;
    }
    registry_
        ->GetGauge("leadflow_stream_consumer_lag",
                   "Records between the next offset to process and the partition's end.",
                   {{"app", options_.application_id},
                    {"topic", tp.topic},
                    {"partition", std::to_string(tp.partition)}})
        .Set(static_cast<double>(std::max<int64_t>(0, high - next)));
  }
}

bool StreamApp::CommitDue() const {
  return records_in_txn_ >= options_.commit_max_records ||
         loop_now_ - txn_started_ >= options_.commit_interval;
}

absl::Status StreamApp::EnsureTransaction() {
  if (txn_open_) return absl::OkStatus();
  if (exactly_once()) {
    absl::Status s = producer_->BeginTransaction();
    if (!s.ok()) return absl::FailedPreconditionError(std::string(s.message()));
  }
  txn_open_ = true;
  records_in_txn_ = 0;
  txn_started_ = std::chrono::steady_clock::now();
  return absl::OkStatus();
}

absl::Status StreamApp::Accept(Task& task, TaskContext& ctx) {
  task.state->CommitRecord();
  for (kafka::OutgoingRecord& out : ctx.emits()) {
    LF_RETURN_IF_ERROR(producer_->ProduceOrWait(out, nullptr));
    metrics_->records_out.Increment();
  }
  return absl::OkStatus();
}

absl::Status StreamApp::HandleRecord(kafka::ConsumedRecord record) {
  const kafka::TopicPartition tp{record.topic(), record.partition()};
  auto next = next_offset_.find(tp);
  auto task_it = tasks_.find(record.partition());
  if (next == next_offset_.end() || task_it == tasks_.end()) {
    // Not ours (a late record after revocation): the owner will read it from the committed offset.
    metrics_->unowned.Increment();
    return absl::OkStatus();
  }
  if (record.offset() < next->second) {
    metrics_->duplicates.Increment();
    return absl::OkStatus();
  }
  LF_RETURN_IF_ERROR(EnsureTransaction());
  Task& task = *task_it->second;
  TaskContext ctx(task, *clock_, global_tables_, options_.erasure_max_lag);
  const InputRecord input{
      record.topic(), record.partition(), record.offset(), record.timestamp_ms(),
      record.key(),   record.value(),     &record};
  // Processing latency is sampled (1 record in 32): two clock reads per record cost more than
  // the relay itself.
  const bool sample = (++processed_ & 31) == 0;
  const auto started = sample ? std::chrono::steady_clock::now() : loop_now_;
  absl::Status status = processor_->Process(input, ctx);
  if (sample) {
    metrics_->process_latency.Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  }
  if (status.ok() && !ctx.error().ok()) status = ctx.error();

  if (status.ok()) {
    LF_RETURN_IF_ERROR(Accept(task, ctx));
    if (const auto& dl = ctx.dead_letter(); dl.has_value()) {
      LF_RETURN_IF_ERROR(DeadLetter(record, dl->first, dl->second, 1));
    }
  } else if (auto reason = RejectionReason(status); reason.has_value()) {
    task.state->DiscardRecord();
    LF_RETURN_IF_ERROR(DeadLetter(record, *reason, ToStd(status.message()), 1));
  } else {
    task.state->DiscardRecord();
    const kafka::TopicPartitionOffset id{tp.topic, tp.partition, record.offset()};
    const int attempts = ++attempts_[id];
    log::Warn("processing failed", {{"topic", tp.topic},
                                    {"partition", tp.partition},
                                    {"offset", record.offset()},
                                    {"attempt", attempts},
                                    {"error", std::string(status.message())}});
    if (attempts < options_.max_attempts) {
      return AbortAndRewind("processing failed");
    }
    attempts_.erase(id);
    LF_RETURN_IF_ERROR(DeadLetter(record, v1::DEAD_LETTER_REASON_PROCESSING_FAILED,
                                  ToStd(status.message()), attempts));
  }
  next->second = record.offset() + 1;
  ++records_in_txn_;
  metrics_->records_in.Increment();
  return absl::OkStatus();
}

absl::Status StreamApp::DeadLetter(const kafka::ConsumedRecord& record, v1::DeadLetterReason reason,
                                   std::string_view detail, int attempts) {
  v1::DeadLetter dl;
  // Deterministic: a replay of the same input dead-letters it under the same id.
  dl.set_dead_letter_id(StrCat(record.topic(), ":", record.partition(), ":", record.offset()));
  dl.set_source_topic(record.topic());
  dl.set_source_partition(record.partition());
  dl.set_source_offset(record.offset());
  dl.set_original_key(std::string(record.key()));
  // An erased person's late input keeps no personal data: the key (the lead id) says whose it was.
  if (reason != v1::DEAD_LETTER_REASON_ERASED_LEAD) {
    dl.set_original_value(std::string(record.value()));
  }
  dl.set_reason_code(reason);
  dl.set_detail(std::string(detail));
  dl.set_failing_service(options_.service);
  dl.set_attempts(attempts);
  const int64_t now = clock_->NowMillis();
  dl.mutable_occurred_at()->set_seconds(now / 1000);
  dl.mutable_occurred_at()->set_nanos(static_cast<int32_t>((now % 1000) * 1000000));
  dl.mutable_original_timestamp()->set_seconds(record.timestamp_ms() / 1000);
  for (const kafka::Header& h : record.headers()) {
    auto* header = dl.add_headers();
    header->set_key(h.key);
    header->set_value(h.value);
  }
  log::Warn("record dead-lettered", {{"topic", record.topic()},
                                     {"partition", record.partition()},
                                     {"offset", record.offset()},
                                     {"reason", v1::DeadLetterReason_Name(reason)},
                                     {"detail", std::string(detail)}});
  metrics_->dlq.Increment();
  return producer_->ProduceOrWait(
      kafka::OutgoingRecord{
          options_.dlq_topic,
          std::nullopt,
          std::string(record.key()),
          dl.SerializeAsString(),
          {{"content-type", "application/x-protobuf; message=leadflow.v1.DeadLetter"},
           {"leadflow-event-type", "dead_letter"}}},
      nullptr);
}

absl::Status StreamApp::CompactErased() {
  for (auto& [partition, task] : tasks_) {
    if (!task->state->compaction_due()) {
      task->compaction_due_since.reset();
      continue;
    }
    if (!task->compaction_due_since.has_value()) task->compaction_due_since = loop_now_;
    if (loop_now_ - *task->compaction_due_since < options_.erasure_compaction_delay) continue;
    const auto started = std::chrono::steady_clock::now();
    // Reads of other threads (the API) keep working: RocksDB compacts beside them.
    LF_RETURN_IF_ERROR(task->state->CompactErased());
    task->compaction_due_since.reset();
    metrics_->erasure_compactions.Increment();
    log::Info("erasure: task store compacted",
              {{"app", options_.application_id},
               {"partition", partition},
               {"ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now() - started)
                          .count()}});
  }
  return absl::OkStatus();
}

absl::Status StreamApp::FireDueTimers() {
  // With the system clock, look at most every 10 ms (a RocksDB seek per task). With an injected
  // clock (tests), look whenever it moved, so "after the clock moved" is exact.
  const auto steady_now = loop_now_;
  if (options_.clock == nullptr && steady_now - last_timer_check_ < kTimerCheckEvery) {
    return absl::OkStatus();
  }
  const int64_t now = clock_->NowMillis();
  if (now == last_timer_check_ms_) return absl::OkStatus();
  last_timer_check_ms_ = now;
  last_timer_check_ = steady_now;
  for (auto& [partition, task_ptr] : tasks_) {
    Task& task = *task_ptr;
    LF_ASSIGN_OR_RETURN(std::vector<Timer> due, task.state->DueTimers(now, kTimersPerCheck));
    for (const Timer& timer : due) {
      LF_RETURN_IF_ERROR(EnsureTransaction());
      // The firing deletes the timer in the same transaction as its effects: it fires once.
      task.state->Delete(kTimersStore, EncodeDue(timer.due_ms) + timer.key);
      task.state->Delete(kTimerIndexStore, timer.key);
      task.state->CommitRecord();
      if (timer.key == kErasureRollTimer) {
        // Its tombstones are the append that rolls the changelog segment; nothing else to do.
        ++records_in_txn_;
        log::Info("erasure: changelog segment rolled for compaction",
                  {{"app", options_.application_id}, {"partition", partition}});
        continue;
      }
      TaskContext ctx(task, *clock_, global_tables_, options_.erasure_max_lag);
      absl::Status status = processor_->OnTimer(timer, ctx);
      if (status.ok() && !ctx.error().ok()) status = ctx.error();
      metrics_->timers_fired.Increment();
      ++records_in_txn_;
      const kafka::TopicPartitionOffset id{StrCat(kTimersStore, "/", timer.key), partition,
                                           timer.due_ms};
      if (status.ok()) {
        if (!attempts_.empty()) attempts_.erase(id);
        LF_RETURN_IF_ERROR(Accept(task, ctx));
        if (ctx.dead_letter().has_value()) {
          log::Error("a timer asked to dead-letter its input; timers have none",
                     {{"partition", partition}, {"timer", timer.key}});
        }
        continue;
      }
      task.state->DiscardRecord();
      // Same rules as for records (processor.h): an infrastructure failure aborts and the timer
      // fires again, up to max_attempts; a rejection — or the last attempt — drops the timer's
      // effects (a timer has no input to dead-letter), logged and counted.
      const bool rejected = RejectionReason(status).has_value();
      const int attempts = rejected ? options_.max_attempts : ++attempts_[id];
      if (attempts < options_.max_attempts) {
        log::Warn("timer failed; retrying", {{"partition", partition},
                                             {"timer", timer.key},
                                             {"attempt", attempts},
                                             {"error", std::string(status.message())}});
        return AbortAndRewind("timer failed");
      }
      attempts_.erase(id);
      metrics_->timers_failed.Increment();
      log::Error("timer failed; its effects are dropped",
                 {{"partition", partition},
                  {"timer", timer.key},
                  {"error", std::string(status.message())}});
    }
  }
  return absl::OkStatus();
}

absl::Status StreamApp::Commit(bool wait) {
  if (!txn_open_) return wait ? CompleteSealed(/*wait=*/true) : absl::OkStatus();
  const auto started = std::chrono::steady_clock::now();
  // At-least-once keeps one sealed transaction in flight at most.
  if (!exactly_once()) LF_RETURN_IF_ERROR(CompleteSealed(/*wait=*/true));
  // 1. The state changes of the transaction, to each task's changelog partition. At-least-once
  // also records the applied input offsets as state, so no owner ever applies an input twice.
  if (!exactly_once()) {
    for (const auto& [tp, next] : next_offset_) {
      auto task = tasks_.find(tp.partition);
      if (task == tasks_.end()) continue;
      task->second->state->Put(kMetaStore, StrCat("in:", tp.topic), std::to_string(next));
      task->second->state->CommitRecord();
    }
  }
  for (auto& [partition, task_ptr] : tasks_) {
    Task* task = task_ptr.get();
    task->changelog_high = -1;
    std::vector<StateChange> changes = task->state->PendingChanges();
    // Applied input offsets go last: the idempotent producer keeps partition order, so a restore
    // that sees them has also seen every state change they account for.
    std::stable_partition(changes.begin(), changes.end(),
                          [](const StateChange& c) { return c.store != kMetaStore; });
    for (StateChange& change : changes) {
      if (change.store == kMetaStore && exactly_once()) continue;
      // Waits out a full queue: a large transaction must not turn backpressure into an error.
      LF_RETURN_IF_ERROR(producer_->ProduceOrWait(
          kafka::OutgoingRecord{options_.changelog_topic,
                                partition,
                                ChangelogKey(change.store, change.key),
                                std::move(change.value),
                                {}},
          [task](const kafka::DeliveryReport& r) {
            if (r.status.ok()) task->changelog_high = std::max(task->changelog_high, r.offset);
          }));
    }
    task->state->Seal();
  }
  // 2. The input offsets, bound to our group generation (fences zombies, KIP-447).
  std::vector<kafka::TopicPartitionOffset> offsets;
  for (const auto& [tp, next] : next_offset_) {
    auto c = committed_offset_.find(tp);
    if (c == committed_offset_.end() || c->second != next) {
      offsets.push_back({tp.topic, tp.partition, next});
    }
  }
  txn_open_ = false;
  records_in_txn_ = 0;
  if (!exactly_once()) {
    // At-least-once: the transaction is sealed; processing goes on while its records are
    // delivered, and CompleteSealed applies it once they all are.
    sealed_ = Sealed{producer_->SealEpoch(), std::move(offsets), started};
    return wait ? CompleteSealed(/*wait=*/true) : absl::OkStatus();
  }
  // 3. Retriable errors are retried (the same call, a bounded number of times); a transaction is
  // never committed without its offsets. Abortable errors rewind, fatal ones stop the instance.
  absl::Status s = absl::OkStatus();
  if (!offsets.empty()) {
    s = Retrying([&] {
      return producer_->SendOffsetsToTransaction(offsets, consumer_->handle(),
                                                 options_.kafka_timeout);
    });
  }
  // From the commit (the outputs become visible) until the state is applied, local reads wait.
  std::unique_lock<std::shared_mutex> visible(visibility_mu_);
  if (s.ok()) {
    s = Retrying([&] { return producer_->CommitTransaction(options_.kafka_timeout); });
  }
  if (s.code() == absl::StatusCode::kAborted || s.code() == absl::StatusCode::kUnavailable) {
    visible.unlock();
    log::Warn("commit failed; aborting", {{"error", std::string(s.message())}});
    return AbortAndRewind(ToStd(s.message()));
  }
  if (!s.ok()) return s;
  if (options_.after_commit_for_test) options_.after_commit_for_test();
  // Serves the changelog records' delivery reports (all delivered once the commit returned).
  LF_RETURN_IF_ERROR(producer_->Flush(options_.kafka_timeout));
  delivery_failures_ = producer_->delivery_failures();
  return ApplyCommitted(offsets, started);
}

absl::Status StreamApp::CompleteSealed(bool wait) {
  if (!sealed_.has_value()) return absl::OkStatus();
  if (!producer_->EpochDelivered(sealed_->epoch)) {
    if (!wait) return absl::OkStatus();
    const auto deadline = std::chrono::steady_clock::now() + options_.kafka_timeout;
    while (!producer_->EpochDelivered(sealed_->epoch)) {
      if (std::chrono::steady_clock::now() > deadline) {
        return AbortAndRewind(
            StrCat("records still undelivered after ", options_.kafka_timeout.count(), " ms"));
      }
      producer_->Poll(std::chrono::milliseconds(10));
    }
  }
  // A failed delivery, of the sealed transaction or of the open one, rewinds both: state and
  // offsets only ever move past records whose outputs all arrived.
  if (producer_->delivery_failures() > delivery_failures_) {
    return AbortAndRewind("delivery failed");
  }
  Sealed sealed = std::move(*sealed_);
  sealed_.reset();
  LF_RETURN_IF_ERROR(ApplyCommitted(sealed.offsets, sealed.started));
  // State already holds the applied offsets; the group's offsets are advisory here (a lagging or
  // failed commit only means re-delivery, which the offset guard skips), so they go
  // asynchronously.
  if (!sealed.offsets.empty()) {
    if (absl::Status c = consumer_->CommitAsync(sealed.offsets); !c.ok()) {
      log::Warn("offset commit failed", {{"error", std::string(c.message())}});
    }
  }
  return absl::OkStatus();
}

absl::Status StreamApp::ApplyCommitted(const std::vector<kafka::TopicPartitionOffset>& offsets,
                                       std::chrono::steady_clock::time_point started) {
  // 4. Only now does local state move: writes and the new checkpoint in one batch per task.
  for (auto& [partition, task] : tasks_) {
    const int64_t checkpoint = task->changelog_high >= 0 ? task->changelog_high + 1 : -1;
    if (absl::Status a = task->state->ApplySealed(checkpoint); !a.ok()) {
      // The changelog has it; a restart restores from the old checkpoint and converges.
      return absl::FailedPreconditionError(StrCat("applying committed state: ", a.message()));
    }
  }
  for (const auto& o : offsets) committed_offset_[{o.topic, o.partition}] = o.offset;
  std::erase_if(attempts_, [&](const auto& entry) {
    auto c = committed_offset_.find({entry.first.topic, entry.first.partition});
    return c != committed_offset_.end() && entry.first.offset < c->second;
  });
  metrics_->commits.Increment();
  metrics_->commit_latency.Observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  return absl::OkStatus();
}

absl::Status StreamApp::AbortTransaction() {
  metrics_->aborts.Increment();
  if (exactly_once()) {
    if (absl::Status s =
            Retrying([&] { return producer_->AbortTransaction(options_.kafka_timeout); });
        !s.ok()) {
      return absl::FailedPreconditionError(StrCat("abort failed: ", s.message()));
    }
  }
  delivery_failures_ = producer_->delivery_failures();
  for (auto& [partition, task] : tasks_) task->state->DiscardTransaction();
  sealed_.reset();
  txn_open_ = false;
  records_in_txn_ = 0;
  return absl::OkStatus();
}

absl::Status StreamApp::AbortAndRewind(std::string_view why) {
  log::Warn("transaction aborted; rewinding to the last commit", {{"why", std::string(why)}});
  LF_RETURN_IF_ERROR(AbortTransaction());
  std::vector<kafka::TopicPartitionOffset> positions;
  for (auto& [tp, next] : next_offset_) {
    auto c = committed_offset_.find(tp);
    const int64_t committed = c == committed_offset_.end() ? -1 : c->second;
    next = std::max<int64_t>(committed, 0);
    positions.push_back({tp.topic, tp.partition, committed >= 0 ? committed : kOffsetBeginning});
  }
  if (absl::Status seek = consumer_->Seek(positions, options_.kafka_timeout); !seek.ok()) {
    return absl::FailedPreconditionError(StrCat("rewind failed: ", seek.message()));
  }
  return absl::OkStatus();
}

absl::Status StreamApp::OpenTask(int32_t partition) {
  auto task = std::make_unique<Task>();
  task->partition = partition;
  const std::string path =
      (std::filesystem::path(options_.state_dir) / StrCat("task-", partition)).string();
  std::error_code ec;
  std::filesystem::create_directories(options_.state_dir, ec);
  LF_ASSIGN_OR_RETURN(task->state, TaskState::Open(path, options_.stores));
  LF_RETURN_IF_ERROR(RestoreTask(*task));

  std::vector<kafka::TopicPartition> inputs;
  for (const std::string& topic : options_.input_topics) inputs.push_back({topic, partition});
  LF_ASSIGN_OR_RETURN(auto committed, consumer_->Committed(inputs, options_.kafka_timeout));
  for (const auto& c : committed) {
    const kafka::TopicPartition tp{c.topic, c.partition};
    next_offset_[tp] = std::max<int64_t>(c.offset, 0);
    if (!exactly_once()) {
      // The state may be ahead of the group's offsets (a crash between the two): skip what the
      // state already reflects.
      LF_ASSIGN_OR_RETURN(auto applied, task->state->Get(kMetaStore, StrCat("in:", c.topic)));
      int64_t value = -1;
      if (applied.has_value()) {
        std::from_chars(applied->data(), applied->data() + applied->size(), value);
      }
      if (value > next_offset_[tp]) {
        next_offset_[tp] = value;
        committed_offset_[tp] = value;  // a rewind must not go below what state reflects
        continue;
      }
    }
    if (c.offset >= 0) {
      committed_offset_[tp] = c.offset;
    } else {
      committed_offset_.erase(tp);
    }
  }
  {
    std::unique_lock<std::shared_mutex> lock(tasks_mu_);
    tasks_[partition] = std::move(task);
  }
  metrics_->tasks.Set(static_cast<double>(tasks_.size()));
  TaskOwnedGauge(*registry_, options_.application_id, partition).Set(1);
  return absl::OkStatus();
}

absl::Status StreamApp::RestoreTask(Task& task) {
  const auto started = std::chrono::steady_clock::now();
  LF_ASSIGN_OR_RETURN(std::optional<int64_t> checkpoint, task.state->Checkpoint());
  // A changelog created a moment ago may have no leader yet, or be unknown to this consumer.
  LF_ASSIGN_OR_RETURN(
      const kafka::Consumer::Watermarks wm,
      consumer_->QueryWatermarks(options_.changelog_topic, task.partition, options_.kafka_timeout));
  const int64_t low = wm.low;
  const int64_t high = wm.high;
  if (checkpoint.has_value() && (*checkpoint > high || *checkpoint < low)) {
    // The changelog was recreated or compacted/truncated past us: start over from it.
    log::Warn("checkpoint outside the changelog; wiping task state",
              {{"partition", task.partition}, {"checkpoint", *checkpoint}, {"high", high}});
    LF_RETURN_IF_ERROR(task.state->Wipe());
    checkpoint.reset();
  }
  const int64_t start = checkpoint.value_or(kOffsetBeginning);
  if (high == 0 || (checkpoint.has_value() && *checkpoint >= high)) return absl::OkStatus();

  LF_ASSIGN_OR_RETURN(auto restorer,
                      kafka::Consumer::Create(kafka::Merge(
                          options_.kafka, {{"group.id", options_.application_id + ".restore"},
                                           {"enable.partition.eof", "true"},
                                           // At the end of the changelog the broker would hold each
                                           // fetch for fetch.wait.max.ms (500) before the end is
                                           // seen; a restore wants that answer at once.
                                           {"fetch.wait.max.ms", "10"}})));
  LF_RETURN_IF_ERROR(restorer->Assign({{options_.changelog_topic, task.partition, start}}));
  int64_t applied = 0;
  std::vector<StateChange> batch;
  int64_t next = start;
  bool done = false;
  auto last_log = std::chrono::steady_clock::now();
  // A restore that makes no progress (no record, no end) for the restore stall timeout fails the
  // task — the instance stops and its orchestrator restarts it — instead of hanging forever on a
  // changelog partition that cannot be read.
  auto last_progress = std::chrono::steady_clock::now();
  while (!done) {
    auto polled = restorer->Poll(std::chrono::milliseconds(200));
    if (!polled.ok()) {
      log::Warn("restore consume error", {{"error", std::string(polled.status().message())}});
    }
    if (polled.ok() && polled->has_value()) last_progress = std::chrono::steady_clock::now();
    if (std::chrono::steady_clock::now() - last_progress > options_.restore_stall_timeout) {
      return absl::DeadlineExceededError(StrCat(
          "restore of ", options_.changelog_topic, "[", task.partition, "] made no progress for ",
          options_.restore_stall_timeout.count(), " ms at offset ", next, " of ", high));
    }
    if (!polled.ok()) {
      continue;
    } else if (polled->has_value()) {
      const kafka::ConsumedRecord& r = **polled;
      StateChange change;
      if (SplitChangelogKey(r.key(), &change.store, &change.key)) {
        if (!r.is_tombstone()) change.value = std::string(r.value());
        batch.push_back(std::move(change));
      }
      next = r.offset() + 1;
    }
    done = !restorer->TakeEofs().empty();
    if (batch.size() >= 1000 || (done && (!batch.empty() || next != start))) {
      LF_RETURN_IF_ERROR(task.state->ApplyRestored(batch, next));
      applied += static_cast<int64_t>(batch.size());
      metrics_->restored.Increment(static_cast<double>(batch.size()));
      batch.clear();
    }
    if (std::chrono::steady_clock::now() - last_log > std::chrono::seconds(5)) {
      last_log = std::chrono::steady_clock::now();
      log::Info("restoring", {{"partition", task.partition}, {"offset", next}, {"end", high}});
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  metrics_->restore_seconds.Set(seconds);
  log::Info(
      "task restored",
      {{"partition", task.partition}, {"records", applied}, {"from", start}, {"seconds", seconds}});
  return restorer->Close();
}

void StreamApp::OnAssigned(const std::vector<kafka::TopicPartition>& partitions) {
  std::set<int32_t> numbers;
  for (const auto& tp : partitions) numbers.insert(tp.partition);
  for (int32_t p : numbers) {
    if (tasks_.count(p) != 0) continue;
    if (absl::Status s = OpenTask(p); !s.ok()) {
      SetFatal(absl::FailedPreconditionError(StrCat("opening task ", p, ": ", s.message())));
      return;
    }
  }
  log::Info("tasks assigned", {{"tasks", static_cast<int64_t>(numbers.size())}});
}

void StreamApp::OnRevoked(const std::vector<kafka::TopicPartition>& partitions) {
  // Clean hand-over: commit what was processed, then close the tasks.
  if (fatal_.ok()) {
    if (absl::Status s = Commit(/*wait=*/true); !s.ok()) SetFatal(s);
  }
  (void)partitions;
  CloseTasks();
}

void StreamApp::OnLost(const std::vector<kafka::TopicPartition>& partitions) {
  // Another member may own these already: nothing may be committed for them. Local state is never
  // ahead of the changelog (see TaskState), so it can stay for a later restore from its checkpoint.
  if ((txn_open_ || sealed_.has_value()) && fatal_.ok()) {
    if (absl::Status s = AbortTransaction(); !s.ok()) SetFatal(s);
  }
  (void)partitions;
  CloseTasks();
}

void StreamApp::CloseTasks() {
  // A pending erasure compaction runs before the API's reads are locked out (Close would do it
  // under the lock). Only this thread changes tasks_, so it reads them without the lock.
  for (auto& [p, task] : tasks_) {
    if (!task->state->compaction_due()) continue;
    if (absl::Status s = task->state->CompactErased(); !s.ok()) {
      log::Error("erasure compaction", {{"partition", p}, {"error", std::string(s.message())}});
    }
  }
  std::unique_lock<std::shared_mutex> lock(tasks_mu_);
  for (auto& [p, task] : tasks_) {
    task->state->DiscardTransaction();
    if (absl::Status s = task->state->Close(); !s.ok()) {
      log::Error("closing task state", {{"partition", p}, {"error", std::string(s.message())}});
    }
    TaskOwnedGauge(*registry_, options_.application_id, p).Set(0);
  }
  tasks_.clear();
  next_offset_.clear();
  committed_offset_.clear();
  metrics_->tasks.Set(0);
}

}  // namespace leadflow::stream
