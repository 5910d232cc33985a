// RocksDB store on real disk: durability across close/reopen, atomic batches, families, scans.
#include "services/common/state/store.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace leadflow::state {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

TEST(StoreTest, WriteCloseReopenRead) {
  testing::TempDir dir;
  const std::string path = dir.Sub("db");
  {
    auto store = Store::Open(path, {"leads", "timers"});
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->Put("leads", "lead-1", "alpha").ok());
    ASSERT_TRUE((*store)->Put("timers", "t-1", "due").ok());
    ASSERT_TRUE((*store)->Put("leads", "lead-2", "beta").ok());
    ASSERT_TRUE((*store)->Delete("leads", "lead-2").ok());
    ASSERT_TRUE((*store)->Close().ok());
  }
  auto store = Store::Open(path, {"leads", "timers"});
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->Get("leads", "lead-1").value(), std::optional<std::string>("alpha"));
  EXPECT_EQ((*store)->Get("timers", "t-1").value(), std::optional<std::string>("due"));
  EXPECT_EQ((*store)->Get("leads", "lead-2").value(), std::nullopt);
  EXPECT_EQ((*store)->Get("timers", "lead-1").value(), std::nullopt) << "families are separate";
}

TEST(StoreTest, BatchIsAtomicAcrossFamiliesAndSurvivesReopen) {
  testing::TempDir dir;
  const std::string path = dir.Sub("db");
  {
    auto store = Store::Open(path, {"a", "b"});
    ASSERT_TRUE(store.ok());
    WriteBatch batch;
    batch.Put("a", "k", "1");
    batch.Put("b", "k", "2");
    batch.Delete("a", "missing");
    ASSERT_TRUE((*store)->Write(batch).ok());

    // A batch naming an unknown family fails as a whole: none of its writes land.
    WriteBatch bad;
    bad.Put("a", "k", "changed");
    bad.Put("nope", "k", "x");
    const absl::Status s = (*store)->Write(bad);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(s.message()), HasSubstr("no column family 'nope'"));
    EXPECT_EQ((*store)->Get("a", "k").value(), std::optional<std::string>("1"));
    ASSERT_TRUE((*store)->Close().ok());
  }
  auto store = Store::Open(path, {"a", "b"});
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->Get("a", "k").value(), std::optional<std::string>("1"));
  EXPECT_EQ((*store)->Get("b", "k").value(), std::optional<std::string>("2"));
}

TEST(StoreTest, ReopenWithFewerFamiliesKeepsTheOthers) {
  testing::TempDir dir;
  const std::string path = dir.Sub("db");
  {
    auto store = Store::Open(path, {"a", "b"});
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->Put("b", "k", "v").ok());
  }  // destructor closes
  auto store = Store::Open(path, {"a"});
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_THAT((*store)->column_families(), ::testing::Contains("b"));
  EXPECT_EQ((*store)->Get("b", "k").value(), std::optional<std::string>("v"));
}

TEST(StoreTest, ScanVisitsPrefixInKeyOrderAndStopsEarly) {
  testing::TempDir dir;
  auto store = Store::Open(dir.Sub("db"), {"s"});
  ASSERT_TRUE(store.ok());
  for (const char* k : {"p/3", "p/1", "q/1", "p/2", "o/9"}) {
    ASSERT_TRUE((*store)->Put("s", k, std::string("v") + k).ok());
  }
  std::vector<std::pair<std::string, std::string>> seen;
  ASSERT_TRUE((*store)
                  ->Scan("s", "p/",
                         [&](std::string_view k, std::string_view v) {
                           seen.emplace_back(std::string(k), std::string(v));
                           return true;
                         })
                  .ok());
  EXPECT_THAT(seen, ElementsAre(Pair("p/1", "vp/1"), Pair("p/2", "vp/2"), Pair("p/3", "vp/3")));
  int visits = 0;
  ASSERT_TRUE((*store)
                  ->Scan("s", "", [&](std::string_view, std::string_view) { return ++visits < 2; })
                  .ok());
  EXPECT_EQ(visits, 2);
}

TEST(StoreTest, ClearDropsEveryKeyOfOneFamilyOnly) {
  testing::TempDir dir;
  auto store = Store::Open(dir.Sub("db"), {"x", "y"});
  ASSERT_TRUE(store.ok());
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE((*store)->Put("x", "k" + std::to_string(i), "v").ok());
  }
  ASSERT_TRUE((*store)->Put("y", "k1", "keep").ok());
  ASSERT_TRUE((*store)->Clear("x").ok());
  int left = 0;
  ASSERT_TRUE((*store)
                  ->Scan("x", "",
                         [&](std::string_view, std::string_view) {
                           ++left;
                           return true;
                         })
                  .ok());
  EXPECT_EQ(left, 0);
  EXPECT_EQ((*store)->Get("y", "k1").value(), std::optional<std::string>("keep"));
  EXPECT_TRUE((*store)->Clear("x").ok()) << "clearing an empty family is fine";
}

TEST(StoreTest, ClosedStoreRefusesCalls) {
  testing::TempDir dir;
  auto store = Store::Open(dir.Sub("db"), {"x"});
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Close().ok());
  EXPECT_EQ((*store)->Put("x", "k", "v").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ((*store)->Get("x", "k").status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ((*store)->Close().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(StoreTest, OpeningAMissingStoreWithoutCreateFails) {
  testing::TempDir dir;
  StoreOptions options;
  options.create_if_missing = false;
  auto store = Store::Open(dir.Sub("absent"), {"x"}, options);
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(std::string(store.status().message()), HasSubstr(dir.Sub("absent")));
}

TEST(StoreTest, SecondOpenOfTheSameDirectoryIsRefusedWhileLocked) {
  testing::TempDir dir;
  auto first = Store::Open(dir.Sub("db"), {"x"});
  ASSERT_TRUE(first.ok());
  auto second = Store::Open(dir.Sub("db"), {"x"});
  ASSERT_FALSE(second.ok()) << "two processes must never share one task's state";
  EXPECT_THAT(std::string(second.status().message()), HasSubstr("lock"));
}

}  // namespace
}  // namespace leadflow::state
