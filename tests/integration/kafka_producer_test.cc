// The idempotent producer: every record gets exactly one successful delivery report, offsets are
// dense and increasing per partition, and the topic holds exactly what was reported.
#include <map>
#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/kafka/consumer.h"
#include "services/common/kafka/producer.h"
#include "tests/support/kafka_env.h"

namespace leadflow {
namespace {

using testing::kKafkaDeadline;

TEST(KafkaProducerTest, IdempotentProducerReportsEveryRecordOnce) {
  constexpr int kRecords = 2000;
  constexpr int kPartitions = 4;
  const std::string topic = testing::UniqueName("idempotent");
  ASSERT_TRUE(testing::CreateTopics({topic}, kPartitions).ok());

  auto producer = kafka::Producer::Create(testing::KafkaProperties());
  ASSERT_TRUE(producer.ok()) << producer.status();
  std::map<int, kafka::DeliveryReport> reports;  // by record index
  int callbacks = 0;
  for (int i = 0; i < kRecords; ++i) {
    kafka::OutgoingRecord record{
        topic, std::nullopt, "lead-" + std::to_string(i % 97), "value-" + std::to_string(i), {}};
    absl::Status s;
    // Backpressure: a full local queue is served, then retried — never dropped.
    while ((s = (*producer)->Produce(record, [&, i](const kafka::DeliveryReport& r) {
             ++callbacks;
             reports.emplace(i, r);
           })).code() == absl::StatusCode::kResourceExhausted) {
      (*producer)->Poll(std::chrono::milliseconds(10));
    }
    ASSERT_TRUE(s.ok()) << s;
  }
  ASSERT_TRUE((*producer)->Flush(kKafkaDeadline).ok());
  EXPECT_EQ((*producer)->outstanding(), 0);
  EXPECT_TRUE((*producer)->FatalError().ok());
  ASSERT_EQ(callbacks, kRecords) << "one report per record";
  ASSERT_EQ(reports.size(), static_cast<size_t>(kRecords));

  std::map<int32_t, std::set<int64_t>> offsets;
  std::map<std::string, int32_t> partition_of_key;
  for (const auto& [i, r] : reports) {
    ASSERT_TRUE(r.status.ok()) << "record " << i << ": " << r.status;
    EXPECT_TRUE(offsets[r.partition].insert(r.offset).second) << "offset reported twice";
    const std::string key = "lead-" + std::to_string(i % 97);
    auto [it, fresh] = partition_of_key.emplace(key, r.partition);
    EXPECT_EQ(it->second, r.partition) << "a key must always land on one partition";
  }
  for (const auto& [p, set] : offsets) {
    EXPECT_EQ(*set.begin(), 0) << "partition " << p;
    EXPECT_EQ(*set.rbegin(), static_cast<int64_t>(set.size()) - 1)
        << "dense offsets, partition " << p;
  }

  // The log holds exactly the reported records, no duplicates.
  auto consumer = kafka::Consumer::Create(
      kafka::Merge(testing::KafkaProperties(), {{"group.id", testing::UniqueName("g")}}));
  ASSERT_TRUE(consumer.ok());
  ASSERT_TRUE((*consumer)->Subscribe({topic}).ok());
  std::multiset<std::string> values;
  ASSERT_TRUE(testing::WaitUntil([&] { return values.size() >= static_cast<size_t>(kRecords); },
                                 kKafkaDeadline,
                                 [&] {
                                   auto polled = (*consumer)->Poll(std::chrono::milliseconds(200));
                                   ASSERT_TRUE(polled.ok()) << polled.status();
                                   if (polled->has_value())
                                     values.insert(std::string((*polled)->value()));
                                 }));
  // Drain briefly past the expected count: a duplicate would show up as an extra record.
  for (int i = 0; i < 10; ++i) {
    auto polled = (*consumer)->Poll(std::chrono::milliseconds(100));
    ASSERT_TRUE(polled.ok());
    if (polled->has_value()) values.insert(std::string((*polled)->value()));
  }
  EXPECT_EQ(values.size(), static_cast<size_t>(kRecords));
  EXPECT_EQ(std::set<std::string>(values.begin(), values.end()).size(),
            static_cast<size_t>(kRecords));
}

TEST(KafkaProducerTest, EpochIsDeliveredOnlyWhenEveryRecordUpToItIsReported) {
  const std::string topic = testing::UniqueName("epochs");
  ASSERT_TRUE(testing::CreateTopics({topic}, 2).ok());
  auto producer = kafka::Producer::Create(testing::KafkaProperties());
  ASSERT_TRUE(producer.ok()) << producer.status();
  kafka::Producer& p = **producer;
  int reports[2] = {0, 0};
  uint64_t epochs[2] = {0, 0};
  for (int e = 0; e < 2; ++e) {
    for (int i = 0; i < 500; ++i) {
      ASSERT_TRUE(p.ProduceOrWait({topic, std::nullopt, "k" + std::to_string(i), "v", {}},
                                  [&, e](const kafka::DeliveryReport& r) {
                                    EXPECT_TRUE(r.status.ok()) << r.status;
                                    ++reports[e];
                                  })
                      .ok());
    }
    epochs[e] = p.SealEpoch();
  }
  EXPECT_GT(epochs[1], epochs[0]);
  // Reports are served only by Poll/Flush, so nothing can be delivered yet.
  EXPECT_FALSE(p.EpochDelivered(epochs[0]));
  EXPECT_FALSE(p.EpochDelivered(epochs[1]));

  ASSERT_TRUE(testing::WaitUntil([&] { return p.EpochDelivered(epochs[0]); }, kKafkaDeadline,
                                 [&] { p.Poll(std::chrono::milliseconds(50)); }));
  EXPECT_EQ(reports[0], 500) << "an epoch is delivered only after all its reports";
  ASSERT_TRUE(testing::WaitUntil([&] { return p.EpochDelivered(epochs[1]); }, kKafkaDeadline,
                                 [&] { p.Poll(std::chrono::milliseconds(50)); }));
  EXPECT_EQ(reports[1], 500);

  // A record refused at once (the partition does not exist, and the metadata says so by now)
  // leaves nothing outstanding in its epoch.
  EXPECT_FALSE(p.Produce({topic, 7, "k", "v", {}}, nullptr).ok());
  EXPECT_TRUE(p.EpochDelivered(p.SealEpoch()));
  EXPECT_EQ(p.delivery_failures(), 0);
  EXPECT_EQ(p.outstanding(), 0);
}

TEST(KafkaProducerTest, UnknownPropertyIsRejectedByName) {
  auto producer =
      kafka::Producer::Create(kafka::Merge(testing::KafkaProperties(), {{"lnger.ms", "5"}}));
  ASSERT_FALSE(producer.ok());
  EXPECT_EQ(producer.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(producer.status().message()), ::testing::HasSubstr("'lnger.ms'"));
}

}  // namespace
}  // namespace leadflow
