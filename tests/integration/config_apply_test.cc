// leadflowctl config apply/show on the real broker: versions only for changed content.
#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"
#include "tests/support/kafka_env.h"
#include "tests/support/temp_dir.h"
#include "tools/leadflowctl/config_cmd.h"

namespace leadflow::ctl {
namespace {

using testing::kKafkaDeadline;

TEST(ConfigApplyTest, PublishesChangedKindsWithTheNextVersionAndNothingTwice) {
  const std::string topic = testing::UniqueName("config");
  ASSERT_TRUE(testing::CreateTopics({topic}, 1).ok());
  testing::TempDir dir;
  std::filesystem::copy_file(LEADFLOW_CONFIG_DIR "/icp.yaml", dir.Sub("icp.yaml"));
  const std::string bootstrap = testing::KafkaBootstrap();

  auto first = ApplyConfig({{"bootstrap.servers", bootstrap}}, topic, dir.path().string(), "first",
                           kKafkaDeadline);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->published, (std::vector<std::string>{"icp v1"}));
  auto again = ApplyConfig({{"bootstrap.servers", bootstrap}}, topic, dir.path().string(), "again",
                           kKafkaDeadline);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->published.empty());
  EXPECT_EQ(again->unchanged, (std::vector<std::string>{"icp v1"}));

  // A real change: a new version, with its hash, origin and comment.
  {
    std::ofstream out(dir.Sub("icp.yaml"), std::ios::app);
    out << "description: changed\n";
  }
  auto changed = ApplyConfig({{"bootstrap.servers", bootstrap}}, topic, dir.path().string(),
                             "new description", kKafkaDeadline);
  ASSERT_FALSE(changed.ok()) << "description is set twice in the file: a YAML error";
  // Rewrite it properly.
  std::ifstream in(LEADFLOW_CONFIG_DIR "/icp.yaml");
  std::stringstream text;
  text << in.rdbuf();
  std::string yaml = text.str();
  yaml.replace(yaml.find("name: leadflow default ICP"), 26, "name: leadflow ICP, second edition");
  testing::WriteFile(dir.Sub("icp.yaml"), yaml);
  changed = ApplyConfig({{"bootstrap.servers", bootstrap}}, topic, dir.path().string(), "renamed",
                        kKafkaDeadline);
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_EQ(changed->published, (std::vector<std::string>{"icp v2"}));

  auto published = ReadPublished({{"bootstrap.servers", bootstrap}}, topic, kKafkaDeadline);
  ASSERT_TRUE(published.ok()) << published.status();
  ASSERT_EQ(published->count("icp"), 1U);
  const v1::ConfigRecord& icp = published->at("icp");
  EXPECT_EQ(icp.version().version(), 2);
  EXPECT_EQ(icp.version().comment(), "renamed");
  EXPECT_EQ(icp.version().content_hash(), ContentHash(icp));
  EXPECT_EQ(icp.icp().name(), "leadflow ICP, second edition");
}

TEST(ConfigApplyTest, ABrokenFilePublishesNothingAndNamesItsLine) {
  const std::string topic = testing::UniqueName("config");
  ASSERT_TRUE(testing::CreateTopics({topic}, 1).ok());
  testing::TempDir dir;
  testing::WriteFile(dir.Sub("icp.yaml"),
                     "name: x\ngrade_thresholds: {a_min: 10, b_min: 50, c_min: 30}\n");
  auto result = ApplyConfig({{"bootstrap.servers", testing::KafkaBootstrap()}}, topic,
                            dir.path().string(), "", kKafkaDeadline);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(
      std::string(result.status().message()).find("icp.yaml:2:19: grade_thresholds: must satisfy"),
      std::string::npos)
      << result.status();
  auto published =
      ReadPublished({{"bootstrap.servers", testing::KafkaBootstrap()}}, topic, kKafkaDeadline);
  ASSERT_TRUE(published.ok());
  EXPECT_TRUE(published->empty());
}

}  // namespace
}  // namespace leadflow::ctl
