// A protobuf event survives a trip through a real topic: bytes, key, headers and partition intact.
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "leadflow/v1/lead.pb.h"
#include "services/common/kafka/consumer.h"
#include "services/common/kafka/producer.h"
#include "tests/support/kafka_env.h"

namespace leadflow {
namespace {

using testing::kKafkaDeadline;

TEST(KafkaRoundTripTest, LeadEventThroughATopic) {
  const std::string topic = testing::UniqueName("roundtrip");
  ASSERT_TRUE(testing::CreateTopics({topic}, 3).ok());

  v1::LeadEvent event;
  event.mutable_envelope()->set_event_id("evt-0001");
  event.mutable_envelope()->set_lead_id("lead-42");
  event.mutable_envelope()->set_producer_service(v1::SERVICE_NAME_INTAKE);
  event.mutable_envelope()->mutable_occurred_at()->set_seconds(1790000000);
  std::string bytes;
  ASSERT_TRUE(event.SerializeToString(&bytes));

  auto producer = kafka::Producer::Create(testing::KafkaProperties());
  ASSERT_TRUE(producer.ok()) << producer.status();
  std::optional<kafka::DeliveryReport> report;
  ASSERT_TRUE(
      (*producer)
          ->Produce({topic,
                     std::nullopt,
                     "lead-42",
                     bytes,
                     {{"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}}},
                    [&](const kafka::DeliveryReport& r) { report = r; })
          .ok());
  ASSERT_TRUE((*producer)->Flush(kKafkaDeadline).ok());
  ASSERT_TRUE(report.has_value());
  ASSERT_TRUE(report->status.ok()) << report->status;

  auto consumer = kafka::Consumer::Create(
      kafka::Merge(testing::KafkaProperties(), {{"group.id", testing::UniqueName("g")}}));
  ASSERT_TRUE(consumer.ok()) << consumer.status();
  ASSERT_TRUE((*consumer)->Subscribe({topic}).ok());
  std::optional<kafka::ConsumedRecord> got;
  ASSERT_TRUE(testing::WaitUntil([&] { return got.has_value(); }, kKafkaDeadline,
                                 [&] {
                                   auto polled = (*consumer)->Poll(std::chrono::milliseconds(200));
                                   ASSERT_TRUE(polled.ok()) << polled.status();
                                   if (polled->has_value()) got = std::move(*polled);
                                 }));

  EXPECT_EQ(got->topic(), topic);
  EXPECT_EQ(got->partition(), report->partition);
  EXPECT_EQ(got->offset(), report->offset);
  EXPECT_EQ(got->key(), "lead-42");
  EXPECT_EQ(got->header("traceparent"),
            std::optional<std::string>("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"));
  v1::LeadEvent decoded;
  ASSERT_TRUE(decoded.ParseFromArray(got->value().data(), static_cast<int>(got->value().size())));
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(event, decoded))
      << decoded.DebugString();
  EXPECT_TRUE((*consumer)->Close().ok());
}

}  // namespace
}  // namespace leadflow
