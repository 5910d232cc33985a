// The stream runtime's guarantees under real faults, with real processes on the real broker:
// kill -9 at random moments, an instance killed for good while another takes over its partitions,
// and a third joining. An independent read_committed verifier then finds every input reflected
// exactly once in the outputs and in the final state (the changelog).
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include <random>
#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/base/strings.h"
#include "tests/support/child_process.h"
#include "tests/support/kafka_env.h"
#include "tests/support/own_broker.h"
#include "tests/support/stream_check.h"
#include "tests/support/temp_dir.h"

namespace leadflow::testing {
namespace {

std::unique_ptr<ChildProcess> StartWorker(const CountingTopics& t, const std::string& instance,
                                          const std::string& state_dir, const std::string& log,
                                          const std::string& guarantee = "exactly-once") {
  return std::make_unique<ChildProcess>(
      std::vector<std::string>{COUNTING_WORKER_PATH, "--bootstrap=" + KafkaBootstrap(),
                               "--app=" + t.app, "--instance=" + instance, "--input=" + t.input,
                               "--output=" + t.output, "--changelog=" + t.changelog,
                               "--dlq=" + t.dlq, "--state-dir=" + state_dir,
                               "--guarantee=" + guarantee},
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

TEST(StreamChaosTest, AtLeastOnceModeNeverCountsAnInputTwiceInState) {
  constexpr int kRecords = 30'000;
  const CountingTopics t = MakeCountingTopics(4);
  TempDir dir;
  std::map<std::string, int64_t> expected;
  ProduceAll(t.input, MakeInputs(0, kRecords, 300, &expected));
  const uint32_t seed = std::random_device{}();
  SCOPED_TRACE(StrCat("seed ", seed));
  std::mt19937 rng(seed);
  Verifier out(t.output);
  auto worker = StartWorker(t, "0", dir.Sub("state"), dir.Sub("worker.log"), "at-least-once");
  for (int kill = 0; kill < 3; ++kill) {
    const size_t target =
        out.records.size() + std::uniform_int_distribution<size_t>(2000, 6000)(rng);
    ASSERT_TRUE(WaitUntil([&] { return out.records.size() >= target; }, std::chrono::seconds(180),
                          [&] { out.PollOnce(100); }));
    EXPECT_EQ(worker->Stop(SIGKILL), 128 + SIGKILL);
    worker = StartWorker(t, "0", dir.Sub("state"), dir.Sub("worker.log"), "at-least-once");
  }
  // Outputs may repeat (at least once); wait until every input is reflected.
  std::set<std::string> inputs;
  size_t seen = 0;
  ASSERT_TRUE(WaitUntil(
      [&] {
        for (; seen < out.records.size(); ++seen) {
          const std::string& v = out.records[seen].second;
          inputs.insert(v.substr(0, v.find('=')));
        }
        return inputs.size() >= static_cast<size_t>(kRecords);
      },
      std::chrono::seconds(300), [&] { out.PollOnce(100); }))
      << inputs.size() << " of " << kRecords << " inputs reflected";
  // An output can be visible before the state change behind it is committed (a kill in between
  // leaves it to the next owner to redo), so the last worker runs until the committed state is
  // complete; only then is it stopped.
  std::map<std::string, int64_t> state;
  EXPECT_TRUE(WaitUntil(
      [&] {
        state = ChangelogCounts(t.changelog);
        return state == expected;
      },
      std::chrono::seconds(300)))
      << state.size() << " of " << expected.size() << " keys complete in the changelog";
  EXPECT_EQ(worker->Stop(SIGTERM), 0);
  // State never counted an input twice: the highest count emitted per key and the final state are
  // exactly the number of inputs of the key.
  std::map<std::string, int64_t> highest;
  for (const auto& [key, value] : out.records) {
    const int64_t count = std::stoll(value.substr(value.find('=') + 1));
    highest[key] = std::max(highest[key], count);
  }
  ExpectCounts(highest, expected, "highest count per key");
  ExpectCounts(ChangelogCounts(t.changelog), expected, "changelog state");
  std::printf("[   INFO   ] at-least-once: %zu outputs for %d inputs\n", out.records.size(),
              kRecords);
}

TEST(StreamChaosTest, TimersFireExactlyOnceNeverEarlyAcrossKillAndRebalance) {
  constexpr int kKeys = 400;
  const CountingTopics t = MakeCountingTopics(4);
  TempDir dir;
  // Every key schedules one timer, 3 s to 11 s after its record is processed (real clock), so
  // that firings spread over the kill and the rebalances.
  KeyValues inputs;
  for (int i = 0; i < kKeys; ++i)
    inputs.emplace_back(StrCat("lead-", i), StrCat("timer:", 3000 + i * 20));
  Verifier out(t.output);
  auto fired = [&] {
    std::map<std::string, int> n;
    for (const auto& [key, value] : out.records) {
      if (value.starts_with("fired:")) ++n[key];
    }
    return n;
  };
  auto a = StartWorker(t, "a", dir.Sub("state-a"), dir.Sub("a.log"));
  ProduceAll(t.input, inputs);
  ASSERT_TRUE(WaitUntil([&] { return out.records.size() >= kKeys; }, std::chrono::seconds(180),
                        [&] { out.PollOnce(100); }));
  // Timers are pending. A second instance joins (rebalance: partitions and their timers move),
  // then the first is SIGKILLed (its partitions move again, after the session timeout).
  auto b = StartWorker(t, "b", dir.Sub("state-b"), dir.Sub("b.log"));
  ASSERT_TRUE(WaitUntil([&] { return fired().size() >= kKeys / 4; }, std::chrono::seconds(180),
                        [&] { out.PollOnce(100); }))
      << "timers did not start firing";
  const size_t fired_before_kill = fired().size();
  EXPECT_EQ(a->Stop(SIGKILL), 128 + SIGKILL);
  ASSERT_TRUE(WaitUntil([&] { return fired().size() >= static_cast<size_t>(kKeys); },
                        std::chrono::seconds(240), [&] { out.PollOnce(100); }))
      << fired().size() << " of " << kKeys << " timers fired";
  for (int i = 0; i < 30; ++i) out.PollOnce(100);  // a second firing would arrive here
  EXPECT_EQ(b->Stop(SIGTERM), 0);

  std::printf("[   INFO   ] %zu of %d timers had fired when instance a was killed\n",
              fired_before_kill, kKeys);
  EXPECT_LT(fired_before_kill, static_cast<size_t>(kKeys)) << "the kill came too late to matter";
  const auto counts = fired();
  EXPECT_EQ(counts.size(), static_cast<size_t>(kKeys));
  for (const auto& [key, n] : counts)
    EXPECT_EQ(n, 1) << "timer of " << key << " fired " << n << " times";
  for (const auto& [key, value] : out.records) {
    if (!value.starts_with("fired:")) continue;
    // fired:<key>:<due>@<now>
    const size_t at = value.rfind('@');
    const size_t colon = value.rfind(':', at);
    const int64_t due = std::stoll(value.substr(colon + 1, at - colon - 1));
    const int64_t now = std::stoll(value.substr(at + 1));
    EXPECT_GE(now, due) << "fired early: " << value;
  }
}

TEST(StreamChaosTest, BrokerKilledAndRestartedMidStreamResultsExact) {
  TempDir dir;
  OwnBroker broker(dir.Sub("kafka"));
  const std::string bootstrap = broker.Start();
  ASSERT_FALSE(bootstrap.empty());
  UseKafkaBootstrap(bootstrap);
  const CountingTopics t = MakeCountingTopics(4);
  std::map<std::string, int64_t> expected;
  constexpr int kRecords = 30'000;
  ProduceAll(t.input, MakeInputs(0, kRecords, 300, &expected));

  Verifier out(t.output);
  auto worker = StartWorker(t, "0", dir.Sub("state"), dir.Sub("worker.log"));
  ASSERT_TRUE(WaitUntil([&] { return out.records.size() >= 8000; }, std::chrono::seconds(180),
                        [&] { out.PollOnce(100); }));
  broker.KillNine();
  ASSERT_EQ(broker.Start(), bootstrap);
  // The test plays the orchestrator: a worker that exits on a fatal error (e.g. the idempotent
  // producer's sequence desynchronization after the broker went away) is restarted.
  int restarts = 0;
  ASSERT_TRUE(WaitUntil([&] { return out.records.size() >= static_cast<size_t>(kRecords); },
                        std::chrono::seconds(300),
                        [&] {
                          out.PollOnce(100);
                          if (!worker->running()) {
                            ++restarts;
                            worker = StartWorker(t, "0", dir.Sub("state"), dir.Sub("worker.log"));
                          }
                        }))
      << out.records.size() << " of " << kRecords << " after " << restarts << " restarts";
  for (int i = 0; i < 10; ++i) out.PollOnce(100);
  EXPECT_EQ(worker->Stop(SIGTERM), 0);
  RecordProperty("worker_restarts", restarts);
  std::printf("[   INFO   ] worker restarts after the broker restart: %d\n", restarts);

  EXPECT_EQ(out.records.size(), static_cast<size_t>(kRecords)) << "duplicates or losses";
  ExpectCounts(CheckExactlyOnce(out.records), expected, "outputs");
  ExpectCounts(ChangelogCounts(t.changelog), expected, "changelog state");
}

}  // namespace
}  // namespace leadflow::testing
