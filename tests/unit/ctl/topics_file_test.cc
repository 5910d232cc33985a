// config/topics.yaml as `leadflowctl topics ensure` reads it, with the overrides a production
// cluster passes (--partitions, --replication-factor, --topic-config), and the Kafka connection
// leadflowctl builds from LEADFLOW_KAFKA_* variables and flags (a Job on a secured cluster).
#include "tools/leadflowctl/topics_file.h"

#include "tools/leadflowctl/kafka_connection.h"

#include <map>
#include <string>

#include "gtest/gtest.h"

namespace leadflow::ctl {
namespace {

const std::string kShipped = LEADFLOW_CONFIG_DIR "/topics.yaml";

std::map<std::string, kafka::TopicSpec> ByName(const std::vector<kafka::TopicSpec>& specs) {
  std::map<std::string, kafka::TopicSpec> out;
  for (const kafka::TopicSpec& s : specs) out.emplace(s.name, s);
  return out;
}

TEST(TopicsFileTest, ShippedCatalogAsWritten) {
  auto specs = LoadTopicsFile(kShipped);
  ASSERT_TRUE(specs.ok()) << specs.status();
  const auto topics = ByName(*specs);
  ASSERT_TRUE(topics.count("leadflow.leads.v1"));
  EXPECT_EQ(topics.at("leadflow.leads.v1").partitions, 4);
  EXPECT_EQ(topics.at("leadflow.leads.v1").replication_factor, 1);
  EXPECT_EQ(topics.at("leadflow.config.v1").partitions, 1);
  EXPECT_EQ(topics.at("leadflow.config.v1").configs.at("cleanup.policy"), "compact");
  EXPECT_EQ(topics.at("leadflow.leads.v1").configs.count("min.insync.replicas"), 0u);
}

TEST(TopicsFileTest, OverridesChangeDefaultsButNotATopicsOwnCount) {
  TopicsOverrides overrides;
  overrides.partitions = 12;
  overrides.replication_factor = 3;
  overrides.configs["min.insync.replicas"] = "2";
  auto specs = LoadTopicsFile(kShipped, overrides);
  ASSERT_TRUE(specs.ok()) << specs.status();
  for (const kafka::TopicSpec& s : *specs) {
    EXPECT_EQ(s.replication_factor, 3) << s.name;
    EXPECT_EQ(s.configs.at("min.insync.replicas"), "2") << s.name;
    // The config topic keeps its single partition (one total order of versions).
    EXPECT_EQ(s.partitions, s.name == "leadflow.config.v1" ? 1 : 12) << s.name;
  }
  const auto topics = ByName(*specs);
  EXPECT_EQ(topics.at("leadflow.accounts.v1").configs.at("cleanup.policy"), "compact");
  EXPECT_EQ(topics.at("leadflow.leads.v1").configs.at("retention.ms"), "2592000000");
}

TEST(KafkaConnectionTest, TakesTheServicesVariablesThenTheFlags) {
  const std::map<std::string, std::string> env = {
      {"LEADFLOW_KAFKA_SECURITY_PROTOCOL", "SASL_SSL"},
      {"LEADFLOW_KAFKA_SASL_PASSWORD", "from-a-secret"},
      {"LEADFLOW_KAFKA_BOOTSTRAP_SERVERS", "ignored:9092"},  // --bootstrap's default instead
      {"LEADFLOW_GRPC_PORT", "1"},                           // a service setting, not Kafka's
  };
  auto props = KafkaConnection("broker:9093",
                               {"sasl.mechanism=SCRAM-SHA-512", "security.protocol=SSL"}, env);
  ASSERT_TRUE(props.ok()) << props.status();
  EXPECT_EQ(*props, (kafka::Properties{{"bootstrap.servers", "broker:9093"},
                                       {"sasl.mechanism", "SCRAM-SHA-512"},
                                       {"sasl.password", "from-a-secret"},
                                       {"security.protocol", "SSL"}}));
}

TEST(KafkaConnectionTest, AMalformedPropertyNamesTheFlag) {
  auto props = KafkaConnection("broker:9093", {"sasl.mechanism"}, {});
  ASSERT_FALSE(props.ok());
  EXPECT_EQ(props.status().message(), "--kafka-property 'sasl.mechanism': expected KEY=VALUE");
  std::map<std::string, std::string> configs;
  EXPECT_FALSE(AddKeyValue("--topic-config", "=2", &configs).ok());
  EXPECT_TRUE(AddKeyValue("--topic-config", "min.insync.replicas=2", &configs).ok());
  EXPECT_EQ(configs.at("min.insync.replicas"), "2");
}

}  // namespace
}  // namespace leadflow::ctl
