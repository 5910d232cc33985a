// The state of one task (one partition of the co-partitioned inputs): a RocksDB database of its own
// holding the app's stores, its timers and a checkpoint, plus the uncommitted writes of the current
// transaction. RocksDB only ever holds committed state: writes wait in an overlay until the Kafka
// transaction that carries their changelog records commits, and land together with the new
// checkpoint in one atomic batch. So after any crash the local store is at, or behind, the
// committed changelog — never ahead — and restoring from the checkpoint always converges.
//
// Writes move through three overlays: the current record's (dropped if the record is rejected),
// the open transaction's, and the sealed one — a transaction whose changelog records and outputs
// are on their way to the broker (at-least-once keeps processing while they are delivered).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "services/common/state/store.h"
#include "services/common/stream/processor.h"

namespace leadflow::stream {

// Internal stores every task has besides the app's own.
inline constexpr char kTimersStore[] = "__timers";           // BE64(due) + key -> payload
inline constexpr char kTimerIndexStore[] = "__timer_index";  // key -> BE64(due)
inline constexpr char kMetaStore[] = "__meta";               // checkpoint; never changelogged
inline constexpr char kErasuresStore[] = "__erasures";       // lead id -> erasure marker

// One state change, as it travels on the changelog.
struct StateChange {
  std::string store;
  std::string key;
  std::optional<std::string> value;  // nullopt = delete (a tombstone on the changelog)
};

// Changelog record key: store name, a NUL, then the store key.
std::string ChangelogKey(std::string_view store, std::string_view key);
// Splits a changelog key; false when it has no store part (not written by leadflow).
bool SplitChangelogKey(std::string_view changelog_key, std::string* store, std::string* key);

std::string EncodeDue(int64_t due_ms);
int64_t DecodeDue(std::string_view bytes);

class TaskState {
 public:
  static absl::StatusOr<std::unique_ptr<TaskState>> Open(const std::string& path,
                                                         const std::vector<std::string>& stores);

  // Reads see, in order: this record's writes, the open transaction's, the sealed one's, committed
  // state.
  absl::StatusOr<std::optional<std::string>> Get(std::string_view store,
                                                 std::string_view key) const;
  // Committed state only (RocksDB); safe from other threads while the task is open.
  absl::StatusOr<std::optional<std::string>> GetCommitted(std::string_view store,
                                                          std::string_view key) const {
    return store_->Get(store, key);
  }
  // Every committed entry of `store` in key order until `fn` returns false; safe from other
  // threads while the task is open.
  absl::Status ScanCommitted(
      std::string_view store,
      const std::function<bool(std::string_view, std::string_view)>& fn) const {
    return store_->ScanFrom(store, "", fn);
  }
  void Put(std::string_view store, std::string_view key, std::string_view value);
  void Delete(std::string_view store, std::string_view key);
  // Delete, and once committed also from the files: the next CompactErased() rewrites the store
  // so no file holds the old value (erasure). A discarded record or transaction forgets it.
  void Erase(std::string_view store, std::string_view key);

  // About `limit` entries after `after`, uncommitted changes included (Context::Scan).
  absl::StatusOr<ScanPage> Scan(std::string_view store, std::string_view after, size_t limit) const;

  // Timers due at or before `now_ms` with their payloads, earliest first, at most `limit`,
  // uncommitted changes included.
  absl::StatusOr<std::vector<Timer>> DueTimers(int64_t now_ms, size_t limit) const;

  // Record-level staging: effects of a rejected or failed record are dropped without touching the
  // rest of the transaction.
  void CommitRecord();
  void DiscardRecord();

  // The transaction's changes, one per key (the last write wins), for the changelog.
  std::vector<StateChange> PendingChanges() const;

  // Ends the open transaction: its changes join the sealed overlay (reads still see them) and
  // wait there for ApplySealed or DiscardTransaction.
  void Seal();
  // After the sealed transaction committed: writes its changes and the new checkpoint (next
  // changelog offset to restore from; -1 keeps the old one) to RocksDB in one batch.
  absl::Status ApplySealed(int64_t changelog_checkpoint);
  // After an abort: forgets every change not yet applied (record, open and sealed).
  void DiscardTransaction();

  // Restore: applies changelog records straight to RocksDB with the checkpoint.
  absl::Status ApplyRestored(const std::vector<StateChange>& changes, int64_t next_offset);
  // The next changelog offset to restore from, or nullopt for "from the beginning".
  absl::StatusOr<std::optional<int64_t>> Checkpoint() const;
  // Drops all state (e.g. the changelog was recreated and is behind the checkpoint).
  absl::Status Wipe();

  // True when committed deletions (an Erase, or tombstones applied by a restore or a wipe) may
  // still sit in the files under their old values.
  bool compaction_due() const { return compaction_due_; }
  // Flushes and compacts the whole store (state::Store::CompactAll); clears compaction_due().
  absl::Status CompactErased();

  // Compacts first when compaction_due(), so a clean shutdown leaves no erased value on disk.
  absl::Status Close();

 private:
  using Overlay =
      std::map<std::string, std::map<std::string, std::optional<std::string>>, std::less<>>;
  explicit TaskState(std::unique_ptr<state::Store> store, std::vector<std::string> stores)
      : store_(std::move(store)), stores_(std::move(stores)) {}

  std::unique_ptr<state::Store> store_;
  std::vector<std::string> stores_;
  Overlay sealed_;
  Overlay txn_;
  Overlay record_;
  // Erase() calls, staged like the overlays they belong to.
  bool record_erases_ = false;
  bool txn_erases_ = false;
  bool sealed_erases_ = false;
  bool compaction_due_ = false;
};

}  // namespace leadflow::stream
