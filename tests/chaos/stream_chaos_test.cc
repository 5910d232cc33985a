// The stream runtime's guarantees under real faults, with real processes on the real broker:
// kill -9 at random moments, an instance killed for good while another takes over its partitions,
// and a third joining. An independent read_committed verifier then finds every input reflected
// exactly once in the outputs and in the final state (the changelog).
#include <signal.h>

#include <random>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/base/strings.h"
#include "tests/support/child_process.h"
#include "tests/support/kafka_env.h"
#include "tests/support/stream_check.h"
#include "tests/support/temp_dir.h"

namespace leadflow::testing {
namespace {

std::unique_ptr<ChildProcess> StartWorker(const CountingTopics& t, const std::string& instance,
                                          const std::string& state_dir, const std::string& log) {
  return std::make_unique<ChildProcess>(
      std::vector<std::string>{COUNTING_WORKER_PATH, "--bootstrap=" + KafkaBootstrap(),
                               "--app=" + t.app, "--instance=" + instance, "--input=" + t.input,
                               "--output=" + t.output, "--changelog=" + t.changelog,
                               "--dlq=" + t.dlq, "--state-dir=" + state_dir},
      log);
}

KeyValues MakeInputs(int from, int to, int keys, std::map<std::string, int64_t>* expected) {
  KeyValues out;
  for (int i = from; i < to; ++i) {
    const std::string key = StrCat("lead-", i % keys);
    out.emplace_back(key, StrCat("v", i));
    ++(*expected)[key];
  }
  return out;
}

void ExpectCounts(const std::map<std::string, int64_t>& actual,
                  const std::map<std::string, int64_t>& expected, const char* what) {
  EXPECT_EQ(actual.size(), expected.size()) << what;
  for (const auto& [key, n] : expected) {
    auto it = actual.find(key);
    ASSERT_NE(it, actual.end()) << what << ": no count for " << key;
    EXPECT_EQ(it->second, n) << what << ": " << key;
  }
}

TEST(StreamChaosTest, KilledWithSigkillAtRandomMomentsStillExactlyOnce) {
  constexpr int kRecords = 100'000;
  constexpr int kKills = 5;
  const CountingTopics t = MakeCountingTopics(4);
  TempDir dir;
  std::map<std::string, int64_t> expected;
  ProduceAll(t.input, MakeInputs(0, kRecords, 1000, &expected));

  const uint32_t seed = std::random_device{}();
  SCOPED_TRACE(StrCat("seed ", seed, ", worker log ", dir.Sub("worker.log")));
  std::mt19937 rng(seed);
  Verifier out(t.output);
  auto worker = StartWorker(t, "0", dir.Sub("state"), dir.Sub("worker.log"));
  for (int kill = 0; kill < kKills; ++kill) {
    // A random moment: after a random amount of further visible progress, plus a random number
    // of extra polls, so kills land anywhere in the transaction cycle.
    const size_t target =
        out.records.size() + std::uniform_int_distribution<size_t>(2000, 12000)(rng);
    ASSERT_TRUE(WaitUntil([&] { return out.records.size() >= target; }, std::chrono::seconds(180),
                          [&] { out.PollOnce(100); }))
        << "no progress before kill " << kill << " (" << out.records.size() << " outputs)";
    const int extra = std::uniform_int_distribution<int>(0, 20)(rng);
    for (int i = 0; i < extra; ++i) out.PollOnce(10);
    EXPECT_EQ(worker->Stop(SIGKILL), 128 + SIGKILL);
    worker = StartWorker(t, "0", dir.Sub("state"), dir.Sub("worker.log"));
  }
  ASSERT_TRUE(out.WaitFor(kRecords, 300)) << out.records.size() << " of " << kRecords;
  EXPECT_EQ(worker->Stop(SIGTERM), 0) << "graceful stop after the run";

  EXPECT_EQ(out.records.size(), static_cast<size_t>(kRecords)) << "duplicates or losses";
  ExpectCounts(CheckExactlyOnce(out.records), expected, "outputs");
  ExpectCounts(ChangelogCounts(t.changelog), expected, "changelog state");
}

TEST(StreamChaosTest, PartitionsMoveToSurvivorAndToANewcomerWithExactResults) {
  const CountingTopics t = MakeCountingTopics(4);
  TempDir dir;
  std::map<std::string, int64_t> expected;
  ProduceAll(t.input, MakeInputs(0, 20'000, 200, &expected));
  Verifier out(t.output);
  auto a = StartWorker(t, "a", dir.Sub("state-a"), dir.Sub("a.log"));
  auto b = StartWorker(t, "b", dir.Sub("state-b"), dir.Sub("b.log"));
  ASSERT_TRUE(WaitUntil([&] { return out.records.size() >= 5000; }, std::chrono::seconds(180),
                        [&] { out.PollOnce(100); }));
  EXPECT_EQ(a->Stop(SIGKILL), 128 + SIGKILL);
  // The survivor takes A's partitions after the session timeout and restores their state from
  // the changelog into its own, empty, task directories.
  ASSERT_TRUE(out.WaitFor(20'000, 180)) << out.records.size();

  ProduceAll(t.input, MakeInputs(20'000, 30'000, 200, &expected));
  auto c = StartWorker(t, "c", dir.Sub("state-c"), dir.Sub("c.log"));
  ASSERT_TRUE(out.WaitFor(30'000, 180)) << out.records.size();
  EXPECT_EQ(b->Stop(SIGTERM), 0);
  EXPECT_EQ(c->Stop(SIGTERM), 0);

  EXPECT_EQ(out.records.size(), 30'000u);
  ExpectCounts(CheckExactlyOnce(out.records), expected, "outputs");
  ExpectCounts(ChangelogCounts(t.changelog), expected, "changelog state");
}

}  // namespace
}  // namespace leadflow::testing
