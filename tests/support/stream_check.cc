// Stream test helpers on the real broker.
#include "tests/support/stream_check.h"

#include <charconv>
#include <set>

#include "gtest/gtest.h"
#include "services/common/base/strings.h"
#include "services/common/kafka/admin.h"
#include "services/common/kafka/producer.h"
#include "services/common/stream/task_state.h"
#include "tests/support/counting_processor.h"
#include "tests/support/kafka_env.h"

namespace leadflow::testing {
namespace {

int64_t ToInt(std::string_view text) {
  int64_t v = -1;
  std::from_chars(text.data(), text.data() + text.size(), v);
  return v;
}

}  // namespace

CountingTopics MakeCountingTopics(int partitions) {
  CountingTopics t{UniqueName("in"), UniqueName("out"), UniqueName("changelog"), UniqueName("dlq"),
                   UniqueName("app")};
  EXPECT_TRUE(CreateTopics({t.input, t.output, t.changelog}, partitions).ok());
  EXPECT_TRUE(CreateTopics({t.dlq}, 1).ok());
  return t;
}

void ProduceAll(const std::string& topic, const KeyValues& records) {
  auto producer = kafka::Producer::Create(KafkaProperties());
  ASSERT_TRUE(producer.ok());
  for (const auto& [k, v] : records) {
    const absl::Status s = (*producer)->ProduceOrWait({topic, std::nullopt, k, v, {}}, nullptr);
    ASSERT_TRUE(s.ok()) << s;
  }
  ASSERT_TRUE((*producer)->Flush(kKafkaDeadline).ok());
  ASSERT_EQ((*producer)->delivery_failures(), 0);
}

Verifier::Verifier(const std::string& topic) {
  // The only member of its group, and a test may wait long between two reads (a soak's end
  // checks wait minutes for the reports): not polled for max.poll.interval.ms, the consumer would
  // leave its group and fail the next read. 86400000 is librdkafka's largest.
  auto c = kafka::Consumer::Create(
      kafka::Merge(KafkaProperties(),
                   {{"group.id", UniqueName("verifier")}, {"max.poll.interval.ms", "86400000"}}));
  EXPECT_TRUE(c.ok());
  consumer_ = std::move(*c);
  EXPECT_TRUE(consumer_->Subscribe({topic}).ok());
}

bool Verifier::WaitFor(size_t n, int seconds) {
  const bool got = WaitUntil([&] { return records.size() >= n; }, std::chrono::seconds(seconds),
                             [&] { PollOnce(200); });
  for (int i = 0; i < 5; ++i) PollOnce(100);
  return got;
}

void Verifier::PollOnce(int ms) {
  auto polled = consumer_->Poll(std::chrono::milliseconds(ms));
  ASSERT_TRUE(polled.ok()) << polled.status();
  if (polled->has_value()) {
    records.emplace_back(std::string((**polled).key()), std::string((**polled).value()));
  }
}

std::map<std::string, int64_t> CheckExactlyOnce(const KeyValues& outputs) {
  std::set<std::string> inputs;
  std::map<std::string, std::set<int64_t>> counts;
  for (const auto& [key, value] : outputs) {
    if (value.starts_with("fired:")) continue;
    const size_t eq = value.find('=');
    EXPECT_NE(eq, std::string::npos) << value;
    if (eq == std::string::npos) continue;
    EXPECT_TRUE(inputs.insert(value.substr(0, eq)).second) << "input reflected twice: " << value;
    EXPECT_TRUE(counts[key].insert(ToInt(value.substr(eq + 1))).second)
        << "count emitted twice: " << key << " " << value;
  }
  std::map<std::string, int64_t> finals;
  for (const auto& [key, set] : counts) {
    EXPECT_EQ(*set.begin(), 1) << key;
    EXPECT_EQ(*set.rbegin(), static_cast<int64_t>(set.size())) << "gap in counts of " << key;
    finals[key] = *set.rbegin();
  }
  return finals;
}

KeyValues ReadWholeTopic(const std::string& topic, bool uncommitted) {
  KeyValues out;
  for (ReadRecord& r : ReadTopicRecords(topic, uncommitted)) {
    out.emplace_back(std::move(r.key), std::move(r.value));
  }
  return out;
}

std::vector<ReadRecord> ReadTopicRecords(const std::string& topic, bool uncommitted) {
  std::vector<ReadRecord> out;
  auto admin = kafka::Admin::Create(KafkaProperties());
  EXPECT_TRUE(admin.ok());
  auto info = (*admin)->Describe(kKafkaDeadline);
  EXPECT_TRUE(info.ok());
  const int partitions = info->topics.at(topic);
  auto reader = kafka::Consumer::Create(
      kafka::Merge(KafkaProperties(),
                   {{"group.id", UniqueName("topic-reader")},
                    {"enable.partition.eof", "true"},
                    {"isolation.level", uncommitted ? "read_uncommitted" : "read_committed"}}));
  EXPECT_TRUE(reader.ok());
  std::vector<kafka::TopicPartitionOffset> all;
  for (int p = 0; p < partitions; ++p) all.push_back({topic, p, -2});
  EXPECT_TRUE((*reader)->Assign(all).ok());
  std::set<int32_t> at_end;
  EXPECT_TRUE(WaitUntil([&] { return at_end.size() == static_cast<size_t>(partitions); },
                        kKafkaDeadline,
                        [&] {
                          auto polled = (*reader)->Poll(std::chrono::milliseconds(200));
                          ASSERT_TRUE(polled.ok());
                          if (polled->has_value()) {
                            const kafka::ConsumedRecord& r = **polled;
                            out.push_back({topic, r.partition(), r.offset(), std::string(r.key()),
                                           std::string(r.value())});
                          }
                          for (const auto& tp : (*reader)->TakeEofs()) at_end.insert(tp.partition);
                        }));
  return out;
}

std::map<std::string, int64_t> ChangelogCounts(const std::string& changelog_topic) {
  std::map<std::string, int64_t> out;
  // Every partition to its end (the last stable offset: read_committed), last write wins.
  for (const auto& [key, value] : ReadWholeTopic(changelog_topic)) {
    std::string store;
    std::string k;
    if (stream::SplitChangelogKey(key, &store, &k) && store == kCountsStore) out[k] = ToInt(value);
  }
  return out;
}

}  // namespace leadflow::testing
