// leadflowctl dlq on the real broker: the last N dead letters of every partition, oldest first,
// a record that is not a DeadLetter shown as such rather than dropped.
#include "gtest/gtest.h"
#include "services/common/base/strings.h"
#include "services/common/kafka/sender.h"
#include "tests/support/kafka_env.h"
#include "tools/leadflowctl/dlq_cmd.h"

namespace leadflow::ctl {
namespace {

using testing::kKafkaDeadline;

v1::DeadLetter Letter(int i) {
  v1::DeadLetter d;
  d.set_source_topic("leadflow.intake.raw.v1");
  d.set_source_partition(i % 3);
  d.set_source_offset(1000 + i);
  d.set_reason_code(v1::DEAD_LETTER_REASON_INVALID);
  d.set_detail(StrCat("letter ", i));
  d.set_failing_service(v1::SERVICE_NAME_INTAKE);
  d.mutable_occurred_at()->set_seconds(1'800'000'000 + i);
  return d;
}

TEST(DlqReadTest, LastRecordsOfEveryPartitionOldestFirst) {
  const std::string topic = testing::UniqueName("dlq");
  ASSERT_TRUE(testing::CreateTopics({topic}, 2).ok());
  auto sender = kafka::Sender::Create({{"bootstrap.servers", testing::KafkaBootstrap()}});
  ASSERT_TRUE(sender.ok()) << sender.status();
  // Partition 0: letters 0..2 and then a record that is no DeadLetter; partition 1: letters 3..32.
  for (int i = 0; i < 33; ++i) {
    ASSERT_TRUE(
        (*sender)
            ->Send({topic, i < 3 ? 0 : 1, StrCat("k", i), Letter(i).SerializeAsString(), {}},
                   kKafkaDeadline)
            .ok());
  }
  ASSERT_TRUE(
      (*sender)
          ->Send({topic, 0, "junk", std::string("\xff\xff not protobuf"), {}}, kKafkaDeadline)
          .ok());

  auto letters = ReadDeadLetters({{"bootstrap.servers", testing::KafkaBootstrap()}}, topic, 2,
                                 /*last=*/5, kKafkaDeadline);
  ASSERT_TRUE(letters.ok()) << letters.status();
  // All 4 of partition 0 (fewer than 5), the last 5 of partition 1; the junk one (no time) first.
  ASSERT_EQ(letters->size(), 9u);
  EXPECT_EQ(letters->at(0).detail(), "not a leadflow.v1.DeadLetter");
  EXPECT_EQ(letters->at(0).source_topic(), topic);
  EXPECT_EQ(letters->at(0).source_partition(), 0);
  EXPECT_EQ(letters->at(0).source_offset(), 3);
  std::vector<std::string> details;
  for (size_t i = 1; i < letters->size(); ++i) details.push_back(letters->at(i).detail());
  EXPECT_EQ(details,
            (std::vector<std::string>{"letter 0", "letter 1", "letter 2", "letter 28", "letter 29",
                                      "letter 30", "letter 31", "letter 32"}));

  // An empty topic is read to its end at once.
  const std::string empty = testing::UniqueName("dlq-empty");
  ASSERT_TRUE(testing::CreateTopics({empty}, 3).ok());
  auto none = ReadDeadLetters({{"bootstrap.servers", testing::KafkaBootstrap()}}, empty, 3, 20,
                              kKafkaDeadline);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->empty());
}

}  // namespace
}  // namespace leadflow::ctl
