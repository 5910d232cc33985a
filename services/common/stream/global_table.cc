// GlobalTable: a follower thread applying a compacted topic to a local store.
#include "services/common/stream/global_table.h"

#include <charconv>
#include <chrono>
#include <filesystem>
#include <set>

#include "services/common/base/status_macros.h"
#include "services/common/base/strings.h"
#include "services/common/kafka/admin.h"
#include "services/common/kafka/consumer.h"
#include "services/common/log/log.h"

namespace leadflow::stream {
namespace {

constexpr char kDataFamily[] = "table";
constexpr char kMetaFamily[] = "__meta";
constexpr int64_t kOffsetBeginning = -2;
constexpr size_t kBatch = 500;

std::string OffsetKey(int32_t partition) { return StrCat("offset:", partition); }

}  // namespace

GlobalTable::GlobalTable(GlobalTableOptions options, metrics::Registry* registry)
    : options_(std::move(options)),
      applied_(registry->GetCounter("leadflow_global_table_records_total",
                                    "Records applied to a global table.",
                                    {{"topic", options_.topic}})),
      caught_up_gauge_(registry->GetGauge("leadflow_global_table_caught_up",
                                          "1 once the table was read to its end.",
                                          {{"topic", options_.topic}})) {}

absl::StatusOr<std::unique_ptr<GlobalTable>> GlobalTable::Open(GlobalTableOptions options,
                                                               metrics::Registry* registry) {
  if (options.topic.empty() || options.state_dir.empty() || registry == nullptr) {
    return absl::InvalidArgumentError("global table needs a topic, a state dir and metrics");
  }
  auto table = std::unique_ptr<GlobalTable>(new GlobalTable(std::move(options), registry));
  LF_RETURN_IF_ERROR(table->Start());
  return table;
}

absl::Status GlobalTable::Start() {
  LF_ASSIGN_OR_RETURN(auto admin, kafka::Admin::Create(options_.kafka));
  LF_ASSIGN_OR_RETURN(kafka::ClusterInfo info, admin->Describe(options_.kafka_timeout));
  auto it = info.topics.find(options_.topic);
  if (it == info.topics.end()) {
    return absl::NotFoundError(StrCat("global table topic '", options_.topic, "' does not exist"));
  }
  partitions_ = it->second;
  std::error_code ec;
  std::filesystem::create_directories(options_.state_dir, ec);
  const std::string path =
      (std::filesystem::path(options_.state_dir) / StrCat("global-", options_.topic)).string();
  LF_ASSIGN_OR_RETURN(store_, state::Store::Open(path, {kDataFamily, kMetaFamily}));
  for (int32_t p = 0; p < partitions_; ++p) {
    LF_ASSIGN_OR_RETURN(std::optional<std::string> text, store_->Get(kMetaFamily, OffsetKey(p)));
    int64_t offset = kOffsetBeginning;
    if (text.has_value()) std::from_chars(text->data(), text->data() + text->size(), offset);
    start_offsets_[p] = offset;
  }
  thread_ = std::thread([this] { Follow(); });
  return absl::OkStatus();
}

GlobalTable::~GlobalTable() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
  if (store_ != nullptr) {
    if (absl::Status s = store_->Close(); !s.ok()) {
      log::Warn("global table close",
                {{"topic", options_.topic}, {"error", std::string(s.message())}});
    }
  }
}

void GlobalTable::Follow() {
  auto fail = [this](const absl::Status& s) {
    log::Error("global table follower stopped",
               {{"topic", options_.topic}, {"error", std::string(s.message())}});
    {
      std::lock_guard<std::mutex> lock(mu_);
      health_ = s;
    }
    changed_.notify_all();
  };
  auto consumer = kafka::Consumer::Create(
      kafka::Merge(options_.kafka, {{"group.id", StrCat("leadflow-global-", options_.topic)},
                                    {"enable.partition.eof", "true"}}));
  if (!consumer.ok()) return fail(consumer.status());
  std::vector<kafka::TopicPartitionOffset> positions;
  for (const auto& [p, offset] : start_offsets_) positions.push_back({options_.topic, p, offset});
  if (absl::Status s = (*consumer)->Assign(positions); !s.ok()) return fail(s);

  std::set<int32_t> at_end;
  // Tombstones applied since the last compaction: the deleted values may still sit in the files
  // (an erased lead's facts in reporting's replica). Compacted a second after the first one.
  bool compaction_due = false;
  std::chrono::steady_clock::time_point compaction_due_since;
  state::WriteBatch batch;
  std::map<int32_t, int64_t> next;
  auto flush = [&]() -> absl::Status {
    if (batch.empty()) return absl::OkStatus();
    for (const auto& [p, offset] : next)
      batch.Put(kMetaFamily, OffsetKey(p), std::to_string(offset));
    LF_RETURN_IF_ERROR(store_->Write(batch));
    applied_.Increment(static_cast<double>(batch.size() - next.size()));
    generation_.fetch_add(1);
    batch = state::WriteBatch();
    next.clear();
    return absl::OkStatus();
  };
  while (!stop_.load()) {
    auto polled = (*consumer)->Poll(std::chrono::milliseconds(100));
    if (!polled.ok()) {
      log::Warn("global table consume",
                {{"topic", options_.topic}, {"error", std::string(polled.status().message())}});
    } else if (polled->has_value()) {
      const kafka::ConsumedRecord& r = **polled;
      if (r.is_tombstone()) {
        batch.Delete(kDataFamily, r.key());
        if (!compaction_due) compaction_due_since = std::chrono::steady_clock::now();
        compaction_due = true;
      } else {
        batch.Put(kDataFamily, r.key(), r.value());
      }
      next[r.partition()] = r.offset() + 1;
    }
    const bool idle = polled.ok() && !polled->has_value();
    for (const kafka::TopicPartition& tp : (*consumer)->TakeEofs()) at_end.insert(tp.partition);
    if (batch.size() >= kBatch || idle || at_end.size() == static_cast<size_t>(partitions_)) {
      if (absl::Status s = flush(); !s.ok()) return fail(s);
    }
    if (compaction_due && batch.empty() &&
        std::chrono::steady_clock::now() - compaction_due_since >= std::chrono::seconds(1)) {
      if (absl::Status s = store_->CompactAll(); !s.ok()) return fail(s);
      compaction_due = false;
    }
    // Caught up once every partition hit its end and everything read before is in the store.
    if (!caught_up_.load() && at_end.size() == static_cast<size_t>(partitions_) && batch.empty()) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        caught_up_.store(true);
      }
      changed_.notify_all();
      caught_up_gauge_.Set(1);
      log::Info("global table caught up", {{"topic", options_.topic}});
    }
  }
  if (absl::Status s = flush(); !s.ok()) fail(s);
  if (compaction_due) {
    if (absl::Status s = store_->CompactAll(); !s.ok()) fail(s);
  }
  if (absl::Status s = (*consumer)->Close(); !s.ok()) {
    log::Warn("global table consumer close",
              {{"topic", options_.topic}, {"error", std::string(s.message())}});
  }
}

absl::Status GlobalTable::WaitUntilCaughtUp(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!changed_.wait_for(lock, timeout, [&] { return caught_up_.load() || !health_.ok(); })) {
    return absl::DeadlineExceededError(StrCat("global table '", options_.topic,
                                              "' not caught up within ", timeout.count(), " ms"));
  }
  return health_;
}

absl::StatusOr<std::optional<std::string>> GlobalTable::Get(std::string_view key) const {
  return store_->Get(kDataFamily, key);
}

absl::Status GlobalTable::Scan(
    std::string_view prefix,
    const std::function<bool(std::string_view, std::string_view)>& fn) const {
  return store_->Scan(kDataFamily, prefix, fn);
}

absl::Status GlobalTable::health() const {
  std::lock_guard<std::mutex> lock(mu_);
  return health_;
}

}  // namespace leadflow::stream
