// ConfigSource with values: published records replace the local files kind by kind; a record that
// cannot be used is reported once and does not hold back the other kinds.
#include "services/qualification/config_source.h"

#include <map>

#include "gtest/gtest.h"

namespace leadflow::qualification {
namespace {

class Table {
 public:
  void Publish(const v1::ConfigRecord& record) {
    records_[config::ConfigKind(record)] = record.SerializeAsString();
    ++generation_;
  }
  absl::StatusOr<ConfigSource::Update> RefreshInto(ConfigSource& source) {
    return source.Refresh(generation_, [this](std::string_view key) {
      auto it = records_.find(std::string(key));
      return absl::StatusOr<std::optional<std::string>>(
          it == records_.end() ? std::nullopt : std::optional<std::string>(it->second));
    });
  }

 private:
  std::map<std::string, std::string> records_;
  uint64_t generation_ = 1;
};

std::unique_ptr<ConfigSource> Source() {
  auto source = ConfigSource::Create(std::string(LEADFLOW_CONFIG_DIR) + "/icp.yaml",
                                     std::string(LEADFLOW_CONFIG_DIR) + "/stages.yaml", "");
  EXPECT_TRUE(source.ok()) << source.status();
  return std::move(*source);
}

TEST(ConfigSourceTest, ABadRecordIsReportedOnceAndDoesNotHoldBackOtherKinds) {
  std::unique_ptr<ConfigSource> source = Source();
  Table table;
  const v1::IcpConfig good_icp = source->current()->icp.config();
  v1::ConfigRecord icp;
  icp.mutable_version()->set_version(7);
  *icp.mutable_icp() = good_icp;
  icp.mutable_icp()->mutable_rules(0)->mutable_condition()->set_attribute("company.colour");
  table.Publish(icp);
  auto update = table.RefreshInto(*source);
  ASSERT_TRUE(update.ok());
  ASSERT_EQ(update->errors.size(), 1U);
  EXPECT_NE(update->errors[0].find("icp version 7"), std::string::npos) << update->errors[0];
  EXPECT_FALSE(update->changed);
  EXPECT_EQ(source->current()->icp_version, 0) << "the local file stays in force";

  v1::ConfigRecord nurture;
  nurture.mutable_version()->set_version(8);
  nurture.mutable_nurture()->set_recycle_limit(3);
  table.Publish(nurture);
  update = table.RefreshInto(*source);
  ASSERT_TRUE(update.ok());
  EXPECT_TRUE(update->errors.empty()) << "the bad icp is not reported again";
  EXPECT_TRUE(update->changed);
  EXPECT_EQ(source->current()->nurture_version, 8);
  EXPECT_EQ(source->current()->icp_version, 0);
  EXPECT_EQ(source->current()->version(), 8);

  *icp.mutable_icp() = good_icp;
  icp.mutable_version()->set_version(9);
  table.Publish(icp);
  update = table.RefreshInto(*source);
  ASSERT_TRUE(update.ok());
  EXPECT_TRUE(update->changed);
  EXPECT_EQ(source->current()->icp_version, 9);
  EXPECT_EQ(source->current()->nurture_version, 8);
}

TEST(ConfigSourceTest, NothingIsReadAgainUntilTheTableMoves) {
  std::unique_ptr<ConfigSource> source = Source();
  int reads = 0;
  auto get = [&](std::string_view) {
    ++reads;
    return absl::StatusOr<std::optional<std::string>>(std::nullopt);
  };
  ASSERT_TRUE(source->Refresh(5, get).ok());
  const int first = reads;
  EXPECT_GT(first, 0);
  ASSERT_TRUE(source->Refresh(5, get).ok());
  EXPECT_EQ(reads, first);
  ASSERT_TRUE(source->Refresh(6, get).ok());
  EXPECT_GT(reads, first);
}

}  // namespace
}  // namespace leadflow::qualification
