// The records leadflow moves through Kafka: what a producer sends and what a consumer received.
#pragma once

#include <compare>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace RdKafka {
class Message;
}  // namespace RdKafka

namespace leadflow::kafka {

struct Header {
  std::string key;
  std::string value;
  bool operator==(const Header&) const = default;
};
using Headers = std::vector<Header>;

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;
  auto operator<=>(const TopicPartition&) const = default;
};

struct TopicPartitionOffset {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;  // the next offset to read, as Kafka commits it
  auto operator<=>(const TopicPartitionOffset&) const = default;
};

// A record to produce. No partition = librdkafka's partitioner on the key (murmur2 for
// Java-compatible placement, set by Producer), so equal keys land on equal partitions.
struct OutgoingRecord {
  std::string topic;
  std::optional<int32_t> partition;
  std::string key;
  std::optional<std::string> value;  // nullopt = a tombstone (null value) for compacted topics
  Headers headers;
};

// A consumed record. It owns librdkafka's message: key and value are views into it, so the bytes
// are never copied between the network buffer and the decoder.
class ConsumedRecord {
 public:
  explicit ConsumedRecord(std::unique_ptr<RdKafka::Message> message);
  ~ConsumedRecord();
  ConsumedRecord(ConsumedRecord&&) noexcept;
  ConsumedRecord& operator=(ConsumedRecord&&) noexcept;

  const std::string& topic() const { return topic_; }
  int32_t partition() const;
  int64_t offset() const;
  int64_t timestamp_ms() const;
  bool has_key() const;
  std::string_view key() const;
  std::string_view value() const;
  // A null value: a tombstone on a compacted topic.
  bool is_tombstone() const;
  // Copies the headers out (they are small); the first value for a name, or nullopt.
  Headers headers() const;
  std::optional<std::string> header(std::string_view name) const;

 private:
  std::unique_ptr<RdKafka::Message> message_;
  std::string topic_;
};

}  // namespace leadflow::kafka
