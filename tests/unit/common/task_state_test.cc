// TaskState on a real RocksDB: scans see committed state merged with the uncommitted overlays (the
// record's, the open transaction's, the sealed one's), in key order, page by page; an erased value
// leaves the files, not only the key space.
#include "services/common/stream/task_state.h"

#include "gtest/gtest.h"
#include "tests/support/state_files.h"
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

// Commits the open record as one transaction.
void CommitAll(TaskState& s) {
  s.CommitRecord();
  s.Seal();
  ASSERT_TRUE(s.ApplySealed(-1).ok());
}

std::unique_ptr<TaskState> OpenTask(const std::string& path) {
  auto state = TaskState::Open(path, {"leads"});
  EXPECT_TRUE(state.ok()) << state.status();
  return state.ok() ? std::move(*state) : nullptr;
}

constexpr char kErased[] = "erase-me.7f3a@example.org";
constexpr char kDeleted[] = "delete-me.91c2@example.org";
constexpr char kKept[] = "keep-me.c0de@example.org";

// Three values written and flushed to a table file (Close flushes).
void WriteThreeAndClose(const std::string& path) {
  std::unique_ptr<TaskState> s = OpenTask(path);
  ASSERT_NE(s, nullptr);
  s->Put("leads", "a", kErased);
  s->Put("leads", "b", kDeleted);
  s->Put("leads", "c", kKept);
  ASSERT_NO_FATAL_FAILURE(CommitAll(*s));
  ASSERT_TRUE(s->Close().ok());
}

TEST(TaskStateEraseTest, APlainDeleteLeavesTheOldValueInTheFilesAndCostsNoCompaction) {
  testing::TempDir dir;
  const std::string path = dir.Sub("task");
  ASSERT_NO_FATAL_FAILURE(WriteThreeAndClose(path));
  ASSERT_FALSE(testing::FilesContaining(path, kDeleted).empty()) << "the search finds values";
  std::unique_ptr<TaskState> s = OpenTask(path);
  ASSERT_NE(s, nullptr);
  s->Delete("leads", "b");
  ASSERT_NO_FATAL_FAILURE(CommitAll(*s));
  EXPECT_FALSE(s->compaction_due());
  ASSERT_TRUE(s->Close().ok());
  // Why Erase exists: the key is gone, its value is still on disk under the tombstone.
  EXPECT_FALSE(testing::FilesContaining(path, kDeleted).empty());
}

TEST(TaskStateEraseTest, AnErasedValueLeavesEveryFileOnceCommittedAndCompacted) {
  testing::TempDir dir;
  const std::string path = dir.Sub("task");
  ASSERT_NO_FATAL_FAILURE(WriteThreeAndClose(path));
  ASSERT_FALSE(testing::FilesContaining(path, kErased).empty()) << "the search finds values";
  std::unique_ptr<TaskState> s = OpenTask(path);
  ASSERT_NE(s, nullptr);
  s->Erase("leads", "a");
  s->CommitRecord();
  s->Seal();
  EXPECT_FALSE(s->compaction_due()) << "not before the transaction is applied";
  ASSERT_TRUE(s->ApplySealed(-1).ok());
  EXPECT_TRUE(s->compaction_due());
  ASSERT_TRUE(s->CompactErased().ok());
  EXPECT_FALSE(s->compaction_due());

  EXPECT_EQ(testing::FilesContaining(path, kErased), std::vector<std::string>{});
  auto erased = s->Get("leads", "a");
  ASSERT_TRUE(erased.ok());
  EXPECT_FALSE(erased->has_value());
  // What was not erased is still there, in the store and in its files.
  auto kept = s->Get("leads", "c");
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->value_or(""), kKept);
  EXPECT_FALSE(testing::FilesContaining(path, kKept).empty());
  ASSERT_TRUE(s->Close().ok());
  EXPECT_EQ(testing::FilesContaining(path, kErased), std::vector<std::string>{});
}

TEST(TaskStateEraseTest, ACleanCloseCompactsAPendingErasure) {
  testing::TempDir dir;
  const std::string path = dir.Sub("task");
  ASSERT_NO_FATAL_FAILURE(WriteThreeAndClose(path));
  std::unique_ptr<TaskState> s = OpenTask(path);
  ASSERT_NE(s, nullptr);
  s->Erase("leads", "a");
  ASSERT_NO_FATAL_FAILURE(CommitAll(*s));
  ASSERT_TRUE(s->compaction_due());
  ASSERT_TRUE(s->Close().ok());
  EXPECT_EQ(testing::FilesContaining(path, kErased), std::vector<std::string>{});
}

TEST(TaskStateEraseTest, AnErasureOfADiscardedRecordOrTransactionIsForgotten) {
  testing::TempDir dir;
  std::unique_ptr<TaskState> s = OpenTask(dir.Sub("task"));
  ASSERT_NE(s, nullptr);
  s->Put("leads", "a", kErased);
  ASSERT_NO_FATAL_FAILURE(CommitAll(*s));
  s->Erase("leads", "a");
  s->DiscardRecord();  // the record was rejected
  ASSERT_NO_FATAL_FAILURE(CommitAll(*s));
  EXPECT_FALSE(s->compaction_due());
  s->Erase("leads", "a");
  s->CommitRecord();
  s->DiscardTransaction();  // the transaction aborted
  ASSERT_NO_FATAL_FAILURE(CommitAll(*s));
  EXPECT_FALSE(s->compaction_due());
  auto value = s->Get("leads", "a");
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(value->value_or(""), kErased);
}

}  // namespace
}  // namespace leadflow::stream
