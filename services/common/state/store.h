// A RocksDB database with named column families, atomic write batches and explicit close. The one
// place leadflow touches RocksDB handles: every call returns a status, every handle is owned.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class WriteBatch;
}  // namespace rocksdb

namespace leadflow::state {

struct StoreOptions {
  bool create_if_missing = true;
  // fsync the WAL on every write. Off by default: durability comes from the Kafka changelog, and
  // the local store is a cache of it (see docs/architecture.md).
  bool sync_writes = false;
  // No write-ahead log (Kafka Streams does the same for its stores): a crash loses the writes
  // since the last memtable flush, and all column families flush atomically, so the store comes
  // back at an earlier consistent point — for a task, state and checkpoint that match, from which
  // the changelog restore converges. Saves a write(2) of every batch.
  bool disable_wal = false;
};

// One memory budget for every store of the process (Kafka Streams' bounded-memory pattern): one
// LRU block cache of `bytes` that also holds the index and filter blocks, and the memtables of
// every store charged to it through one write-buffer manager, which flushes once they hold half
// of it. A service's RocksDB memory is then about `bytes` however many tasks, stores and column
// families it hosts (without it: a block cache and up to two 64 MB memtables per column family of
// every task). Stores opened after the call use the new budget; ServiceHost sets it from
// `state.memory` before any store opens. Default 256 MiB.
void SetProcessMemoryBudget(size_t bytes);
size_t ProcessMemoryBudget();

class Store;

// A set of writes applied atomically by Store::Write.
class WriteBatch {
 public:
  WriteBatch();
  ~WriteBatch();
  WriteBatch(WriteBatch&&) noexcept;
  WriteBatch& operator=(WriteBatch&&) noexcept;

  // `cf` is a column family name the store was opened with; an unknown one fails Store::Write.
  void Put(std::string_view cf, std::string_view key, std::string_view value);
  void Delete(std::string_view cf, std::string_view key);
  size_t size() const { return ops_.size(); }
  bool empty() const { return ops_.empty(); }

 private:
  friend class Store;
  struct Op {
    std::string cf;
    std::string key;
    std::optional<std::string> value;  // nullopt = delete
  };
  std::vector<Op> ops_;
};

class Store {
 public:
  // Opens (creating if allowed) the database at `path` with the "default" family plus
  // `column_families`. Families that exist on disk but are not listed are opened too, so a
  // downgrade never fails to open; they are reported by column_families().
  static absl::StatusOr<std::unique_ptr<Store>> Open(
      const std::string& path, const std::vector<std::string>& column_families,
      const StoreOptions& options = {});
  ~Store();  // closes if still open (logging a failure); prefer Close() to see its status
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  absl::StatusOr<std::optional<std::string>> Get(std::string_view cf, std::string_view key) const;
  absl::Status Put(std::string_view cf, std::string_view key, std::string_view value);
  absl::Status Delete(std::string_view cf, std::string_view key);
  absl::Status Write(const WriteBatch& batch);

  // Calls `fn(key, value)` for each key with `prefix` in key order until fn returns false.
  absl::Status Scan(std::string_view cf, std::string_view prefix,
                    const std::function<bool(std::string_view, std::string_view)>& fn) const;

  // Drops every key of a family (a task whose local state may be ahead of its changelog).
  // Calls `fn` for every key >= `start`, in order, until it returns false.
  absl::Status ScanFrom(std::string_view cf, std::string_view start,
                        const std::function<bool(std::string_view, std::string_view)>& fn) const;
  absl::Status Clear(std::string_view cf);

  // Physically removes what was deleted: flushes every memtable, then compacts every family down
  // to its last level, so no file of the store still holds an overwritten or deleted value (the
  // erasure guarantee; RocksDB deletes obsolete files once compacted). Cost: a rewrite of the
  // whole store; for rare events (erasure), not per write.
  absl::Status CompactAll();

  std::vector<std::string> column_families() const;
  const std::string& path() const { return path_; }

  // Flushes memtables and the WAL, then closes. After Close() every other call fails.
  absl::Status Close();

 private:
  Store(std::string path, StoreOptions options);
  absl::StatusOr<rocksdb::ColumnFamilyHandle*> Family(std::string_view cf) const;

  std::string path_;
  StoreOptions options_;
  std::unique_ptr<rocksdb::DB> db_;
  std::map<std::string, rocksdb::ColumnFamilyHandle*, std::less<>>
      families_;  // owned, freed in Close
};

}  // namespace leadflow::state
