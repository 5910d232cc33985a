// TaskState on a real RocksDB: scans see committed state merged with the uncommitted overlays (the
// record's, the open transaction's, the sealed one's), in key order, page by page.
#include "services/common/stream/task_state.h"

#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace leadflow::stream {
namespace {

std::vector<std::string> Keys(const ScanPage& page) {
  std::vector<std::string> out;
  for (const auto& [k, v] : page.entries) out.push_back(k);
  return out;
}

TEST(TaskStateScanTest, MergesCommittedAndUncommittedWritesInKeyOrderAcrossPages) {
  testing::TempDir dir;
  auto state = TaskState::Open(dir.Sub("task"), {"leads"});
  ASSERT_TRUE(state.ok()) << state.status();
  TaskState& s = **state;
  // Committed: a, c, e, g.
  for (const char* k : {"a", "c", "e", "g"}) s.Put("leads", k, std::string("v-") + k);
  s.CommitRecord();
  s.Seal();
  ASSERT_TRUE(s.ApplySealed(-1).ok());
  // Sealed (in flight): b added, c deleted.
  s.Put("leads", "b", "v-b");
  s.Delete("leads", "c");
  s.CommitRecord();
  s.Seal();
  // Open transaction: d added, e replaced; the current record: f added.
  s.Put("leads", "d", "v-d");
  s.Put("leads", "e", "v-e2");
  s.CommitRecord();
  s.Put("leads", "f", "v-f");

  std::vector<std::string> seen;
  std::string after;
  for (int pages = 0; pages < 10; ++pages) {
    auto page = s.Scan("leads", after, 2);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const auto& [k, v] : page->entries) {
      seen.push_back(k);
      if (k == "e") {
        EXPECT_EQ(v, "v-e2");
      }
    }
    after = page->next_after;
    if (!page->more) break;
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "b", "d", "e", "f", "g"}));

  auto all = s.Scan("leads", "", 100);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(Keys(*all), (std::vector<std::string>{"a", "b", "d", "e", "f", "g"}));
  EXPECT_FALSE(all->more);
  auto tail = s.Scan("leads", "e", 100);
  ASSERT_TRUE(tail.ok());
  EXPECT_EQ(Keys(*tail), (std::vector<std::string>{"f", "g"}));
}

}  // namespace
}  // namespace leadflow::stream
