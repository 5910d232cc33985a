#include "services/common/kafka/partitioner.h"

#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <random>
#include <string>

#include "gtest/gtest.h"

namespace leadflow::kafka {
namespace {

// The Java client's own vectors (UtilsTest.testMurmur2): equal keys must land on the partitions
// every Kafka client picks.
TEST(PartitionerTest, Murmur2MatchesTheJavaClientsVectors) {
  EXPECT_EQ(static_cast<int32_t>(Murmur2("21")), -973932308);
  EXPECT_EQ(static_cast<int32_t>(Murmur2("foobar")), -790332482);
  EXPECT_EQ(static_cast<int32_t>(Murmur2("a-little-bit-long-string")), -985981536);
  EXPECT_EQ(static_cast<int32_t>(Murmur2("a-little-bit-longer-string")), -1486304829);
  EXPECT_EQ(static_cast<int32_t>(Murmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8")),
            -58897971);
  EXPECT_EQ(static_cast<int32_t>(Murmur2("abc")), 479470107);
}

// What the services' producers (librdkafka, partitioner=murmur2_random) do with a key, for keys of
// every length remainder, any bytes, and several partition counts.
TEST(PartitionerTest, DefaultPartitionIsWhereLibrdkafkaPutsTheKey) {
  std::mt19937 random(20261128);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> length(0, 80);
  int checked = 0;
  for (int i = 0; i < 2000; ++i) {
    std::string key(static_cast<size_t>(length(random)), '\0');
    for (char& c : key) c = static_cast<char>(byte(random));
    for (int32_t partitions : {1, 2, 3, 4, 7, 12, 64}) {
      const int32_t expected = rd_kafka_msg_partitioner_murmur2(nullptr, key.data(), key.size(),
                                                                partitions, nullptr, nullptr);
      ASSERT_EQ(DefaultPartition(key, partitions), expected)
          << "key of " << key.size() << " bytes, " << partitions << " partitions";
      ++checked;
    }
  }
  EXPECT_EQ(checked, 2000 * 7);
}

}  // namespace
}  // namespace leadflow::kafka
