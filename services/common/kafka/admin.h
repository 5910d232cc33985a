// Cluster administration leadflow needs: is a broker there, create and delete topics.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/common/kafka/properties.h"

namespace RdKafka {
class Producer;
}  // namespace RdKafka

namespace leadflow::kafka {

class ClientEvents;

struct TopicSpec {
  std::string name;
  int partitions = 1;
  int replication_factor = 1;
  std::map<std::string, std::string> configs;  // e.g. cleanup.policy=compact
};

struct ClusterInfo {
  std::string cluster_id;  // empty when the broker did not say
  int32_t controller_id = -1;
  std::vector<std::string> brokers;   // "host:port"
  std::map<std::string, int> topics;  // name -> partition count
};

class Admin {
 public:
  static absl::StatusOr<std::unique_ptr<Admin>> Create(const Properties& properties);
  ~Admin();
  Admin(const Admin&) = delete;
  Admin& operator=(const Admin&) = delete;

  // Asks the cluster for metadata. Unavailable within `timeout` when no broker answers, naming
  // the bootstrap addresses tried and librdkafka's last connection error.
  absl::StatusOr<ClusterInfo> Describe(std::chrono::milliseconds timeout);

  // Creates topics; AlreadyExists for a topic that exists when `ignore_existing` is false.
  absl::Status CreateTopics(const std::vector<TopicSpec>& topics, std::chrono::milliseconds timeout,
                            bool ignore_existing = false);
  absl::Status DeleteTopics(const std::vector<std::string>& topics,
                            std::chrono::milliseconds timeout);

 private:
  Admin() = default;
  std::unique_ptr<ClientEvents> events_;
  std::unique_ptr<RdKafka::Producer> handle_;
  std::string bootstrap_;
};

// One-shot: fails fast (Unavailable, with the address) when no broker answers within `timeout`.
absl::Status CheckBrokers(const Properties& properties, std::chrono::milliseconds timeout);

}  // namespace leadflow::kafka
