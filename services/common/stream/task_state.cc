// TaskState: overlay of uncommitted writes over a per-task RocksDB.
#include "services/common/stream/task_state.h"

#include <algorithm>
#include <charconv>

#include "services/common/base/status_macros.h"
#include "services/common/base/strings.h"

namespace leadflow::stream {
namespace {

constexpr char kCheckpointKey[] = "changelog_next_offset";

const std::optional<std::string>* Lookup(
    const std::map<std::string, std::map<std::string, std::optional<std::string>>, std::less<>>& o,
    std::string_view store, std::string_view key) {
  auto s = o.find(store);
  if (s == o.end()) return nullptr;
  auto k = s->second.find(std::string(key));
  return k == s->second.end() ? nullptr : &k->second;
}

}  // namespace

std::string ChangelogKey(std::string_view store, std::string_view key) {
  std::string out(store);
  out.push_back('\0');
  out.append(key);
  return out;
}

bool SplitChangelogKey(std::string_view changelog_key, std::string* store, std::string* key) {
  const size_t nul = changelog_key.find('\0');
  if (nul == std::string_view::npos || nul == 0) return false;
  store->assign(changelog_key.substr(0, nul));
  key->assign(changelog_key.substr(nul + 1));
  return true;
}

std::string EncodeDue(int64_t due_ms) {
  // Big-endian with the sign bit flipped, so byte order is numeric order for negative values too.
  const uint64_t u = static_cast<uint64_t>(due_ms) ^ (uint64_t{1} << 63);
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[7 - i] = static_cast<char>((u >> (8 * i)) & 0xff);
  return out;
}

int64_t DecodeDue(std::string_view bytes) {
  uint64_t u = 0;
  for (size_t i = 0; i < 8 && i < bytes.size(); ++i) {
    u = (u << 8) | static_cast<unsigned char>(bytes[i]);
  }
  return static_cast<int64_t>(u ^ (uint64_t{1} << 63));
}

absl::StatusOr<std::unique_ptr<TaskState>> TaskState::Open(const std::string& path,
                                                           const std::vector<std::string>& stores) {
  std::vector<std::string> families = stores;
  families.push_back(kTimersStore);
  families.push_back(kTimerIndexStore);
  families.push_back(kMetaStore);
  families.push_back(kErasuresStore);
  // The store is a cache of the changelog: no WAL (see StoreOptions::disable_wal).
  state::StoreOptions options;
  options.disable_wal = true;
  LF_ASSIGN_OR_RETURN(std::unique_ptr<state::Store> store,
                      state::Store::Open(path, families, options));
  return std::unique_ptr<TaskState>(new TaskState(std::move(store), std::move(families)));
}

absl::StatusOr<std::optional<std::string>> TaskState::Get(std::string_view store,
                                                          std::string_view key) const {
  if (const auto* v = Lookup(record_, store, key); v != nullptr) return *v;
  if (const auto* v = Lookup(txn_, store, key); v != nullptr) return *v;
  if (const auto* v = Lookup(sealed_, store, key); v != nullptr) return *v;
  return store_->Get(store, key);
}

void TaskState::Put(std::string_view store, std::string_view key, std::string_view value) {
  record_[std::string(store)].insert_or_assign(std::string(key), std::string(value));
}

void TaskState::Delete(std::string_view store, std::string_view key) {
  record_[std::string(store)].insert_or_assign(std::string(key), std::nullopt);
}

absl::StatusOr<ScanPage> TaskState::Scan(std::string_view store, std::string_view after,
                                         size_t limit) const {
  // Up to `limit` committed keys after `after`; then the overlays' changes up to the last of them
  // (or all of them when RocksDB had no more), newest overlay last so it wins.
  std::map<std::string, std::optional<std::string>, std::less<>> merged;
  bool committed_more = false;
  std::string committed_last;
  LF_RETURN_IF_ERROR(store_->ScanFrom(store, after, [&](std::string_view k, std::string_view v) {
    if (!after.empty() && k == after) return true;
    if (merged.size() >= std::max<size_t>(limit, 1)) {
      committed_more = true;
      return false;
    }
    merged.emplace(std::string(k), std::string(v));
    committed_last = std::string(k);
    return true;
  }));
  for (const Overlay* overlay : {&sealed_, &txn_, &record_}) {
    auto s = overlay->find(store);
    if (s == overlay->end()) continue;
    for (auto it = s->second.upper_bound(std::string(after)); it != s->second.end(); ++it) {
      if (committed_more && it->first > committed_last) break;
      merged.insert_or_assign(it->first, it->second);
    }
  }
  ScanPage page;
  page.more = committed_more;
  page.next_after = committed_more   ? committed_last
                    : merged.empty() ? std::string(after)
                                     : merged.rbegin()->first;
  for (auto& [k, v] : merged) {
    if (v.has_value()) page.entries.emplace_back(k, std::move(*v));
  }
  return page;
}

absl::StatusOr<std::vector<Timer>> TaskState::DueTimers(int64_t now_ms, size_t limit) const {
  // Merge committed timers with uncommitted changes; both are ordered by the encoded due time.
  std::map<std::string, std::optional<std::string>> merged;  // row key -> payload (nullopt: gone)
  const std::string end = EncodeDue(now_ms);
  LF_RETURN_IF_ERROR(store_->Scan(kTimersStore, "", [&](std::string_view k, std::string_view v) {
    if (k.substr(0, 8) > end) return false;
    merged.emplace(std::string(k), std::string(v));
    return merged.size() < limit * 2 + 16;
  }));
  for (const Overlay* overlay : {&sealed_, &txn_, &record_}) {
    auto s = overlay->find(std::string_view(kTimersStore));
    if (s == overlay->end()) continue;
    for (const auto& [k, v] : s->second) {
      if (std::string_view(k).substr(0, 8) > end) continue;
      merged.insert_or_assign(k, v);
    }
  }
  std::vector<Timer> out;
  for (auto& [k, payload] : merged) {
    if (!payload.has_value()) continue;
    out.push_back(Timer{k.substr(8), DecodeDue(k), std::move(*payload)});
    if (out.size() >= limit) break;
  }
  return out;
}

namespace {
// Moves every entry of `from` into `into` (later writes win) and empties `from`.
template <typename Overlay>
void MergeInto(Overlay& from, Overlay& into) {
  for (auto& [store, entries] : from) {
    auto& target = into[store];
    for (auto& [k, v] : entries) target.insert_or_assign(k, std::move(v));
  }
  from.clear();
}
}  // namespace

void TaskState::Erase(std::string_view store, std::string_view key) {
  Delete(store, key);
  record_erases_ = true;
}

void TaskState::CommitRecord() {
  MergeInto(record_, txn_);
  txn_erases_ = txn_erases_ || record_erases_;
  record_erases_ = false;
}

void TaskState::Seal() {
  MergeInto(txn_, sealed_);
  sealed_erases_ = sealed_erases_ || txn_erases_;
  txn_erases_ = false;
}

void TaskState::DiscardRecord() {
  record_.clear();
  record_erases_ = false;
}

std::vector<StateChange> TaskState::PendingChanges() const {
  std::vector<StateChange> out;
  for (const auto& [store, entries] : txn_) {
    for (const auto& [k, v] : entries) out.push_back({store, k, v});
  }
  return out;
}

absl::Status TaskState::ApplySealed(int64_t changelog_checkpoint) {
  state::WriteBatch batch;
  for (const auto& [store, entries] : sealed_) {
    for (const auto& [k, v] : entries) {
      if (v.has_value()) {
        batch.Put(store, k, *v);
      } else {
        batch.Delete(store, k);
      }
    }
  }
  if (changelog_checkpoint >= 0) {
    batch.Put(kMetaStore, kCheckpointKey, std::to_string(changelog_checkpoint));
  }
  if (!batch.empty()) LF_RETURN_IF_ERROR(store_->Write(batch));
  sealed_.clear();
  compaction_due_ = compaction_due_ || sealed_erases_;
  sealed_erases_ = false;
  return absl::OkStatus();
}

void TaskState::DiscardTransaction() {
  sealed_.clear();
  txn_.clear();
  record_.clear();
  record_erases_ = txn_erases_ = sealed_erases_ = false;
}

absl::Status TaskState::ApplyRestored(const std::vector<StateChange>& changes,
                                      int64_t next_offset) {
  state::WriteBatch batch;
  for (const StateChange& c : changes) {
    if (std::find(stores_.begin(), stores_.end(), c.store) == stores_.end()) continue;
    if (c.value.has_value()) {
      batch.Put(c.store, c.key, *c.value);
    } else {
      batch.Delete(c.store, c.key);
      // The value it deletes may have been restored moments ago (a changelog not yet compacted)
      // and may be erased data: compact once the restore is through.
      if (c.store != kTimersStore && c.store != kTimerIndexStore) compaction_due_ = true;
    }
  }
  batch.Put(kMetaStore, kCheckpointKey, std::to_string(next_offset));
  return store_->Write(batch);
}

absl::StatusOr<std::optional<int64_t>> TaskState::Checkpoint() const {
  LF_ASSIGN_OR_RETURN(std::optional<std::string> text, store_->Get(kMetaStore, kCheckpointKey));
  if (!text.has_value()) return std::optional<int64_t>();
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || ptr != text->data() + text->size()) {
    return absl::DataLossError(
        StrCat("task state ", store_->path(), ": bad checkpoint '", *text, "'"));
  }
  return std::optional<int64_t>(value);
}

absl::Status TaskState::Wipe() {
  for (const std::string& s : stores_) LF_RETURN_IF_ERROR(store_->Clear(s));
  sealed_.clear();
  txn_.clear();
  record_.clear();
  compaction_due_ = true;
  return absl::OkStatus();
}

absl::Status TaskState::CompactErased() {
  LF_RETURN_IF_ERROR(store_->CompactAll());
  compaction_due_ = false;
  return absl::OkStatus();
}

absl::Status TaskState::Close() {
  absl::Status compacted = compaction_due_ ? CompactErased() : absl::OkStatus();
  absl::Status closed = store_->Close();
  return compacted.ok() ? closed : compacted;
}

}  // namespace leadflow::stream
