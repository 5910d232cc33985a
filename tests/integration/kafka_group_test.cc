// Two members of one group over two co-partitioned topics: each member gets the same partition
// numbers of both topics, so one instance owns all state of its leads.
#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/kafka/consumer.h"
#include "tests/support/kafka_env.h"

namespace leadflow {
namespace {

using testing::kKafkaDeadline;

// Records what the rebalance callback said, to check it agrees with Assignment().
class RecordingListener : public kafka::RebalanceListener {
 public:
  void OnAssigned(const std::vector<kafka::TopicPartition>& p) override { assigned = p; }
  void OnRevoked(const std::vector<kafka::TopicPartition>&) override { ++revocations; }
  void OnLost(const std::vector<kafka::TopicPartition>&) override { ++losses; }
  std::vector<kafka::TopicPartition> assigned;
  int revocations = 0;
  int losses = 0;
};

std::map<std::string, std::set<int32_t>> ByTopic(const std::vector<kafka::TopicPartition>& parts) {
  std::map<std::string, std::set<int32_t>> out;
  for (const auto& p : parts) out[p.topic].insert(p.partition);
  return out;
}

TEST(KafkaGroupTest, TwoMembersGetMatchingPartitionsOfCoPartitionedTopics) {
  constexpr int kPartitions = 4;
  const std::string leads = testing::UniqueName("leads");
  const std::string feedback = testing::UniqueName("feedback");
  ASSERT_TRUE(testing::CreateTopics({leads, feedback}, kPartitions).ok());

  const kafka::Properties props =
      kafka::Merge(testing::KafkaProperties(),
                   {{"group.id", testing::UniqueName("group")}, {"session.timeout.ms", "45000"}});
  RecordingListener la;
  RecordingListener lb;
  auto a = kafka::Consumer::Create(props, &la);
  auto b = kafka::Consumer::Create(props, &lb);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE((*a)->Subscribe({leads, feedback}).ok());
  ASSERT_TRUE((*b)->Subscribe({leads, feedback}).ok());

  // Both members must poll for the group to settle; drive both until every partition of both
  // topics is owned by exactly one of them.
  const bool settled = testing::WaitUntil(
      [&] {
        const auto pa = (*a)->Assignment();
        const auto pb = (*b)->Assignment();
        return !pa.empty() && !pb.empty() && pa.size() + pb.size() == 2 * kPartitions;
      },
      kKafkaDeadline,
      [&] {
        ASSERT_TRUE((*a)->Poll(std::chrono::milliseconds(100)).ok());
        ASSERT_TRUE((*b)->Poll(std::chrono::milliseconds(100)).ok());
      });
  ASSERT_TRUE(settled) << "group did not settle within the deadline";

  const auto ta = ByTopic((*a)->Assignment());
  const auto tb = ByTopic((*b)->Assignment());
  ASSERT_EQ(ta.size(), 2u) << "member A must own partitions of both topics";
  ASSERT_EQ(tb.size(), 2u) << "member B must own partitions of both topics";
  EXPECT_EQ(ta.at(leads), ta.at(feedback)) << "co-partitioning broken for member A";
  EXPECT_EQ(tb.at(leads), tb.at(feedback)) << "co-partitioning broken for member B";
  std::set<int32_t> all = ta.at(leads);
  for (int32_t p : tb.at(leads)) {
    EXPECT_TRUE(all.insert(p).second) << "partition " << p << " owned twice";
  }
  EXPECT_EQ(all.size(), static_cast<size_t>(kPartitions));
  EXPECT_EQ(la.assigned, (*a)->Assignment()) << "listener saw the assignment that took effect";
  EXPECT_EQ(lb.assigned, (*b)->Assignment());

  // Member B leaves cleanly: it hears a revocation (not a loss), and A takes everything.
  ASSERT_TRUE((*b)->Close().ok());
  EXPECT_GE(lb.revocations, 1);
  EXPECT_EQ(lb.losses, 0);
  ASSERT_TRUE(testing::WaitUntil(
      [&] { return (*a)->Assignment().size() == 2u * kPartitions; }, kKafkaDeadline,
      [&] { ASSERT_TRUE((*a)->Poll(std::chrono::milliseconds(100)).ok()); }));
  EXPECT_TRUE((*a)->Close().ok());
}

}  // namespace
}  // namespace leadflow
