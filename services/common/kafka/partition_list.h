// librdkafka TopicPartition lists built from leadflow's types and freed when they go (librdkafka
// hands out heap objects the caller must destroy). Internal to leadflow_common_kafka.
#pragma once

#include <vector>

#include "librdkafka/rdkafkacpp.h"
#include "services/common/kafka/record.h"

namespace leadflow::kafka {

class PartitionList {
 public:
  explicit PartitionList(const std::vector<TopicPartition>& partitions) {
    for (const TopicPartition& p : partitions) {
      items_.push_back(RdKafka::TopicPartition::create(p.topic, p.partition));
    }
  }
  explicit PartitionList(const std::vector<TopicPartitionOffset>& positions) {
    for (const TopicPartitionOffset& p : positions) {
      items_.push_back(RdKafka::TopicPartition::create(p.topic, p.partition, p.offset));
    }
  }
  ~PartitionList() { RdKafka::TopicPartition::destroy(items_); }
  PartitionList(const PartitionList&) = delete;
  PartitionList& operator=(const PartitionList&) = delete;

  std::vector<RdKafka::TopicPartition*>& items() { return items_; }

 private:
  std::vector<RdKafka::TopicPartition*> items_;
};

}  // namespace leadflow::kafka
