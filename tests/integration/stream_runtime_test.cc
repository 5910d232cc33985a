// The stream runtime on the real broker and real RocksDB: exactly-once counts, restore from the
// changelog into an empty state dir, poison records to the DLQ, durable timers that fire once and
// never early. (Process kills, rebalances and broker restarts: the chaos tests.)
#include <algorithm>
#include <map>
#include <set>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "leadflow/v1/feedback.pb.h"
#include "services/common/base/strings.h"
#include "services/common/kafka/consumer.h"
#include "services/common/kafka/partitioner.h"
#include "services/common/kafka/producer.h"
#include "services/common/stream/global_table.h"
#include "services/common/stream/stream_app.h"
#include "tests/support/counting_processor.h"
#include "tests/support/kafka_env.h"
#include "tests/support/stream_check.h"
#include "tests/support/temp_dir.h"

namespace leadflow {
namespace {

using testing::kKafkaDeadline;

using testing::CheckExactlyOnce;
using testing::ProduceAll;
using testing::Verifier;

// One StreamApp running on its own thread until Stop().
class RunningApp {
 public:
  RunningApp(const testing::CountingTopics& t, const std::string& state_dir,
             metrics::Registry* registry, const stream::Clock* clock = nullptr,
             std::function<void()> after_commit = {}, const std::string& instance_id = "0") {
    stream::StreamOptions o;
    o.application_id = t.app;
    o.instance_id = instance_id;
    o.input_topics = {t.input};
    o.stores = {testing::kCountsStore};
    o.changelog_topic = t.changelog;
    o.dlq_topic = t.dlq;
    o.state_dir = state_dir;
    o.kafka = testing::KafkaProperties();
    o.clock = clock;
    o.after_commit_for_test = std::move(after_commit);
    auto app = stream::StreamApp::Create(o, std::make_unique<testing::CountingProcessor>(t.output),
                                         registry);
    if (!app.ok()) {
      result_ = app.status();
      ADD_FAILURE() << "StreamApp::Create: " << result_;
      return;
    }
    app_ = std::move(*app);
    thread_ = std::thread([this] { result_ = app_->Run(stop_); });
  }
  ~RunningApp() {
    if (thread_.joinable()) {
      EXPECT_TRUE(Stop().ok());
    }
  }
  stream::StreamApp& app() { return *app_; }
  absl::Status Stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
    return result_;
  }

 private:
  std::unique_ptr<stream::StreamApp> app_;
  std::atomic<bool> stop_{false};
  absl::Status result_;
  std::thread thread_;
};

TEST(StreamRuntimeTest, ExactlyOnceCountsThenRestoreIntoAnEmptyStateDir) {
  const testing::CountingTopics t = testing::MakeCountingTopics(4);
  testing::TempDir dir;
  constexpr int kFirst = 5000;
  constexpr int kKeys = 50;
  std::vector<std::pair<std::string, std::string>> batch;
  std::map<std::string, int> expected;
  for (int i = 0; i < kFirst; ++i) {
    const std::string key = StrCat("lead-", i % kKeys);
    batch.emplace_back(key, StrCat("v", i));
    ++expected[key];
  }
  ProduceAll(t.input, batch);

  metrics::Registry registry;
  Verifier verifier(t.output);
  {
    RunningApp app(t, dir.Sub("state-a"), &registry);
    ASSERT_TRUE(verifier.WaitFor(kFirst)) << "only " << verifier.records.size() << " outputs";
    // Consumer lag is exported per input partition and drops to 0 once everything is processed.
    EXPECT_TRUE(testing::WaitUntil(
        [&] {
          const std::string text = registry.Render();
          for (int p = 0; p < 4; ++p) {
            if (text.find(StrCat("leadflow_stream_consumer_lag{app=\"", t.app, "\",partition=\"", p,
                                 "\",topic=\"", t.input, "\"} 0\n")) == std::string::npos) {
              return false;
            }
          }
          return true;
        },
        kKafkaDeadline))
        << registry.Render();
    EXPECT_TRUE(app.Stop().ok());
  }
  ASSERT_EQ(verifier.records.size(), static_cast<size_t>(kFirst));
  auto finals = CheckExactlyOnce(verifier.records);
  for (const auto& [key, n] : expected) EXPECT_EQ(finals[key], n) << key;

  // A new instance with no local state (a lost disk, a moved partition) restores the counts from
  // the changelog before it processes anything new.
  batch.clear();
  for (int i = 0; i < kKeys; ++i) {
    const std::string key = StrCat("lead-", i);
    batch.emplace_back(key, "again");
    ++expected[key];
  }
  ProduceAll(t.input, batch);
  {
    RunningApp app(t, dir.Sub("state-b"), &registry);
    ASSERT_TRUE(verifier.WaitFor(kFirst + kKeys));
    EXPECT_TRUE(app.Stop().ok());
  }
  ASSERT_EQ(verifier.records.size(), static_cast<size_t>(kFirst + kKeys));
  finals = CheckExactlyOnce(verifier.records);
  for (const auto& [key, n] : expected) EXPECT_EQ(finals[key], n) << key;
  EXPECT_GE(
      registry.GetCounter("leadflow_stream_restored_records_total", "", {{"app", t.app}}).Value(),
      kKeys)
      << "the second instance must have restored every key from the changelog";
}

// Once a transaction's outputs are visible to a read_committed consumer, a local read of the state
// it wrote returns that state, never the state before it: the API layers read local state right
// after a client saw an event (a sales tool answering the handoff it was just shown). The apply
// after each commit is made slow (the fault injected: 50 ms), so a read that did not wait for it
// would see the count before.
TEST(StreamRuntimeTest, StateIsReadLocallyOnceItsOutputsAreVisible) {
  const testing::CountingTopics t = testing::MakeCountingTopics(2);
  testing::TempDir dir;
  metrics::Registry registry;
  Verifier verifier(t.output);
  RunningApp app(t, dir.Sub("state"), &registry, nullptr,
                 [] { std::this_thread::sleep_for(std::chrono::milliseconds(50)); });
  constexpr int kRounds = 20;
  constexpr int kKeys = 20;
  size_t checked = 0;
  for (int round = 0; round < kRounds; ++round) {
    std::vector<std::pair<std::string, std::string>> batch;
    for (int k = 0; k < kKeys; ++k) batch.emplace_back(StrCat("lead-", k), StrCat("r", round));
    ProduceAll(t.input, batch);
    const size_t want = static_cast<size_t>((round + 1) * kKeys);
    ASSERT_TRUE(
        testing::WaitUntil([&] { return verifier.records.size() >= want; }, kKafkaDeadline,
                           [&] {
                             verifier.PollOnce(5);
                             // Each output read at once: its count must be stored already.
                             for (; checked < verifier.records.size(); ++checked) {
                               const auto& [key, value] = verifier.records[checked];
                               const int64_t count = std::stoll(value.substr(value.rfind('=') + 1));
                               auto read = app.app().ReadCommitted(testing::kCountsStore, key);
                               ASSERT_TRUE(read.ok()) << read.status();
                               ASSERT_TRUE(read->value.has_value()) << key;
                               EXPECT_GE(std::stoll(*read->value), count)
                                   << key << ": output " << value << " visible before its state";
                             }
                           }))
        << verifier.records.size() << " of " << want;
  }
  EXPECT_EQ(checked, static_cast<size_t>(kRounds * kKeys));
  EXPECT_TRUE(app.Stop().ok());
}

// Two instances share the partitions. A point read answers from the task of the key's partition
// only: its owner finds the value (or knows it is absent everywhere), the other instance says the
// partition is not its own, and names it.
TEST(StreamRuntimeTest, PointReadsTellTheKeysPartitionOwnerFromTheOtherInstances) {
  const testing::CountingTopics t = testing::MakeCountingTopics(4);
  testing::TempDir dir;
  constexpr int kKeys = 40;
  testing::KeyValues batch;
  for (int i = 0; i < kKeys; ++i) batch.emplace_back(StrCat("lead-", i), "v");
  ProduceAll(t.input, batch);
  metrics::Registry registry_a, registry_b;
  RunningApp a(t, dir.Sub("state-a"), &registry_a, nullptr, {}, "a");
  RunningApp b(t, dir.Sub("state-b"), &registry_b, nullptr, {}, "b");
  std::set<int32_t> partitions_of_keys;
  for (const auto& [key, value] : batch) partitions_of_keys.insert(kafka::DefaultPartition(key, 4));
  ASSERT_GT(partitions_of_keys.size(), 1u);

  // True once each instance has some partitions, together all four, every key is answered by its
  // partition's owner, and refused by the other instance with the partition named. (Until then,
  // `why` says what is missing: the first join and a rebalance move partitions.)
  std::string why;
  const auto settled = [&] {
    const std::vector<int32_t> of_a = a.app().ActiveTasks();
    const std::vector<int32_t> of_b = b.app().ActiveTasks();
    if (of_a.empty() || of_b.empty() || of_a.size() + of_b.size() != 4) {
      why = StrCat("tasks: ", of_a.size(), " + ", of_b.size());
      return false;
    }
    for (const auto& [key, value] : batch) {
      const int32_t partition = kafka::DefaultPartition(key, 4);
      const bool a_owns = std::find(of_a.begin(), of_a.end(), partition) != of_a.end();
      RunningApp& owner = a_owns ? a : b;
      RunningApp& other = a_owns ? b : a;
      auto mine = owner.app().ReadCommitted(testing::kCountsStore, key);
      auto theirs = other.app().ReadCommitted(testing::kCountsStore, key);
      if (!mine.ok() || !theirs.ok()) {
        why = "read failed";
        return false;
      }
      if (!mine->owned || mine->partition != partition || !mine->value.has_value()) {
        why = StrCat(key, " not (yet) answered by its owner");
        return false;
      }
      const absl::Status refused = stream::NotOwnedError(StrCat("lead ", key), *theirs);
      if (theirs->owned || theirs->partition != partition || theirs->value.has_value() ||
          refused.code() != absl::StatusCode::kUnavailable ||
          std::string(refused.message()).find(StrCat("is on partition ", partition)) ==
              std::string::npos) {
        why = StrCat(key, " (partition ", partition, ") answered by the instance that does not ",
                     "run it: owned=", theirs->owned, " partition=", theirs->partition,
                     " value=", theirs->value.has_value(), " refusal: ", refused.message());
        return false;
      }
    }
    return true;
  };
  ASSERT_TRUE(testing::WaitUntil(settled, kKafkaDeadline)) << why;

  // A key nobody wrote: its partition's owner knows it is absent everywhere.
  const std::string unknown = "lead-never-seen";
  const int32_t partition = kafka::DefaultPartition(unknown, 4);
  const std::vector<int32_t> of_a = a.app().ActiveTasks();
  const bool a_owns = std::find(of_a.begin(), of_a.end(), partition) != of_a.end();
  auto owner_read = (a_owns ? a : b).app().ReadCommitted(testing::kCountsStore, unknown);
  auto other_read = (a_owns ? b : a).app().ReadCommitted(testing::kCountsStore, unknown);
  ASSERT_TRUE(owner_read.ok() && other_read.ok());
  EXPECT_TRUE(owner_read->owned);
  EXPECT_FALSE(owner_read->value.has_value());
  EXPECT_FALSE(other_read->owned);
  // Neither runs every partition, so neither may take its own absence as final everywhere.
  EXPECT_FALSE(owner_read->all_local);
  EXPECT_FALSE(other_read->all_local);

  // A store key that is not the partition key is placed by the partition key it is given.
  auto by_lead =
      (a_owns ? a : b)
          .app()
          .ReadCommitted(testing::kCountsStore, "some-other-key", std::string_view(unknown));
  ASSERT_TRUE(by_lead.ok());
  EXPECT_TRUE(by_lead->owned);
  EXPECT_EQ(by_lead->partition, partition);
  EXPECT_TRUE(a.Stop().ok());
  EXPECT_TRUE(b.Stop().ok());
}

TEST(StreamRuntimeTest, PoisonRecordsGoToTheDlqAndThePartitionGoesOn) {
  const testing::CountingTopics t = testing::MakeCountingTopics(4);
  testing::TempDir dir;
  std::vector<std::pair<std::string, std::string>> batch;
  for (int i = 0; i < 1000; ++i) {
    batch.emplace_back(StrCat("lead-", i % 7), i % 10 == 3 ? "poison" : StrCat("v", i));
  }
  ProduceAll(t.input, batch);
  metrics::Registry registry;
  Verifier outputs(t.output);
  Verifier dead(t.dlq);
  RunningApp app(t, dir.Sub("state"), &registry);
  ASSERT_TRUE(outputs.WaitFor(900));
  ASSERT_TRUE(dead.WaitFor(100));
  EXPECT_TRUE(app.Stop().ok());
  EXPECT_EQ(outputs.records.size(), 900u);
  CheckExactlyOnce(outputs.records);
  ASSERT_EQ(dead.records.size(), 100u);
  std::set<std::string> sources;
  for (const auto& [key, value] : dead.records) {
    v1::DeadLetter dl;
    ASSERT_TRUE(dl.ParseFromString(value));
    EXPECT_EQ(dl.reason_code(), v1::DEAD_LETTER_REASON_MALFORMED);
    EXPECT_THAT(dl.detail(), ::testing::HasSubstr("field 'value'"));
    EXPECT_EQ(dl.source_topic(), t.input);
    EXPECT_EQ(dl.original_value(), "poison");
    EXPECT_EQ(dl.original_key(), key);
    EXPECT_TRUE(sources.insert(dl.dead_letter_id()).second) << "dead-lettered twice";
  }
}

TEST(StreamRuntimeTest, TimersFireOnceAndNeverEarlyAcrossARestart) {
  const testing::CountingTopics t = testing::MakeCountingTopics(4);
  testing::TempDir dir;
  stream::ManualClock clock(1'000'000);
  metrics::Registry registry;
  Verifier verifier(t.output);
  auto fired = [&] {
    return std::count_if(verifier.records.begin(), verifier.records.end(),
                         [](const auto& r) { return r.second.starts_with("fired:"); });
  };
  std::vector<std::pair<std::string, std::string>> batch;
  for (int i = 0; i < 20; ++i) batch.emplace_back(StrCat("lead-", i), "timer:5000");
  ProduceAll(t.input, batch);
  size_t seen = 20;
  auto marker = [&] {
    // A record processed after the clock moved proves a timer check ran after the move.
    ProduceAll(t.input, {{"marker", "m"}});
    ASSERT_TRUE(verifier.WaitFor(++seen + static_cast<size_t>(fired())));
  };
  {
    RunningApp app(t, dir.Sub("state"), &registry, &clock);
    ASSERT_TRUE(verifier.WaitFor(20));
    clock.Advance(4999);
    marker();
    EXPECT_EQ(fired(), 0) << "a timer fired before it was due";
    clock.Advance(1);
    ASSERT_TRUE(testing::WaitUntil([&] { return fired() >= 20; }, kKafkaDeadline,
                                   [&] { verifier.PollOnce(200); }));
    EXPECT_TRUE(app.Stop().ok());
  }
  {
    // Restarted with the same state: the fired timers are gone for good.
    RunningApp app(t, dir.Sub("state"), &registry, &clock);
    clock.Advance(60'000);
    marker();
    EXPECT_TRUE(app.Stop().ok());
  }
  EXPECT_EQ(fired(), 20);
  std::set<std::string> keys;
  for (const auto& [key, value] : verifier.records) {
    if (value.starts_with("fired:")) {
      EXPECT_TRUE(keys.insert(key).second) << "timer fired twice for " << key;
      EXPECT_TRUE(value.starts_with(StrCat("fired:", key, ":", 1'005'000, "@"))) << value;
    }
  }
}

void Put(const std::string& topic, const std::string& key, std::optional<std::string> value) {
  auto producer = kafka::Producer::Create(testing::KafkaProperties());
  ASSERT_TRUE(producer.ok());
  ASSERT_TRUE((*producer)->Produce({topic, std::nullopt, key, std::move(value), {}}, nullptr).ok());
  ASSERT_TRUE((*producer)->Flush(kKafkaDeadline).ok());
}

TEST(GlobalTableTest, ReadsEveryPartitionFollowsUpdatesAndResumesFromItsCheckpoint) {
  const std::string topic = testing::UniqueName("accounts");
  ASSERT_TRUE(testing::CreateTopics({topic}, 3).ok());
  Put(topic, "acme.com", "owner-1");
  Put(topic, "globex.com", "owner-2");
  Put(topic, "acme.com", "owner-3");
  Put(topic, "globex.com", std::nullopt);  // tombstone: deleted
  testing::TempDir dir;
  metrics::Registry registry;
  stream::GlobalTableOptions options{topic, dir.Sub("state"), testing::KafkaProperties()};
  {
    auto table = stream::GlobalTable::Open(options, &registry);
    ASSERT_TRUE(table.ok()) << table.status();
    ASSERT_TRUE((*table)->WaitUntilCaughtUp(kKafkaDeadline).ok());
    EXPECT_EQ((*table)->Get("acme.com").value(), std::optional<std::string>("owner-3"));
    EXPECT_EQ((*table)->Get("globex.com").value(), std::nullopt);
    Put(topic, "initech.com", "owner-4");
    EXPECT_TRUE(testing::WaitUntil([&] { return (*table)->Get("initech.com").value().has_value(); },
                                   kKafkaDeadline));
  }
  const double applied_first =
      registry.GetCounter("leadflow_global_table_records_total", "", {{"topic", topic}}).Value();
  EXPECT_EQ(applied_first, 5);
  Put(topic, "umbrella.com", "owner-5");
  auto table = stream::GlobalTable::Open(options, &registry);
  ASSERT_TRUE(table.ok());
  ASSERT_TRUE((*table)->WaitUntilCaughtUp(kKafkaDeadline).ok());
  EXPECT_EQ((*table)->Get("umbrella.com").value(), std::optional<std::string>("owner-5"));
  EXPECT_EQ((*table)->Get("acme.com").value(), std::optional<std::string>("owner-3"));
  EXPECT_EQ(
      registry.GetCounter("leadflow_global_table_records_total", "", {{"topic", topic}}).Value() -
          applied_first,
      1)
      << "a reopened table resumes from its checkpoint instead of re-reading the topic";
}

// Emits, for every input, the global table's value under "current".
class GlobalEchoProcessor : public stream::Processor {
 public:
  GlobalEchoProcessor(std::string table, std::string output)
      : table_(std::move(table)), output_(std::move(output)) {}
  absl::Status Process(const stream::InputRecord& r, stream::Context& ctx) override {
    auto value = ctx.GetGlobal(table_, "current");
    if (!value.ok()) return value.status();
    ctx.Emit({output_, std::nullopt, std::string(r.key), value->value_or("<none>"), {}});
    return absl::OkStatus();
  }

 private:
  std::string table_;
  std::string output_;
};

TEST(GlobalTableTest, AppProcessesNothingBeforeItsGlobalTablesAreComplete) {
  const testing::CountingTopics t = testing::MakeCountingTopics(2);
  const std::string config = testing::UniqueName("config");
  ASSERT_TRUE(testing::CreateTopics({config}, 1).ok());
  for (int v = 1; v <= 200; ++v) Put(config, "current", StrCat("version-", v));
  ProduceAll(t.input, {{"lead-1", "x"}, {"lead-2", "y"}});
  testing::TempDir dir;
  metrics::Registry registry;
  stream::StreamOptions o;
  o.application_id = t.app;
  o.input_topics = {t.input};
  o.global_tables = {config};
  o.changelog_topic = t.changelog;
  o.dlq_topic = t.dlq;
  o.state_dir = dir.Sub("state");
  o.kafka = testing::KafkaProperties();
  auto app = stream::StreamApp::Create(o, std::make_unique<GlobalEchoProcessor>(config, t.output),
                                       &registry);
  ASSERT_TRUE(app.ok());
  std::atomic<bool> stop{false};
  absl::Status result;
  std::thread runner([&] { result = (*app)->Run(stop); });
  Verifier out(t.output);
  ASSERT_TRUE(out.WaitFor(2));
  stop.store(true);
  runner.join();
  EXPECT_TRUE(result.ok()) << result;
  for (const auto& [key, value] : out.records) EXPECT_EQ(value, "version-200") << key;
}

}  // namespace
}  // namespace leadflow
