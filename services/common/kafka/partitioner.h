// Where Kafka puts a keyed record: the partition the Java client's default partitioner and
// librdkafka's murmur2 partitioners (which Producer uses) choose for a key.
#pragma once

#include <cstdint>
#include <string_view>

namespace leadflow::kafka {

// Kafka's 32-bit MurmurHash2 (Utils.murmur2: seed 0x9747b28c, little-endian blocks of four).
uint32_t Murmur2(std::string_view key);

// Murmur2 of the key, sign bit cleared, modulo `partitions` (> 0): a lead id's partition on every
// lead-keyed topic, so an instance can tell whether it runs a lead's partition.
int32_t DefaultPartition(std::string_view key, int32_t partitions);

}  // namespace leadflow::kafka
