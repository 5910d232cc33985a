// RocksDB store wrapper: statuses mapped once, here, from rocksdb::Status to absl::Status.
#include "services/common/state/store.h"

#include <algorithm>
#include <mutex>

#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/options.h"
#include "rocksdb/table.h"
#include "rocksdb/write_batch.h"
#include "rocksdb/write_buffer_manager.h"
#include "services/common/base/status_macros.h"
#include "services/common/base/strings.h"
#include "services/common/log/log.h"

namespace leadflow::state {
namespace {

absl::Status FromRocks(const rocksdb::Status& s, std::string_view what, std::string_view path) {
  if (s.ok()) return absl::OkStatus();
  const std::string msg = leadflow::StrCat("rocksdb ", what, " (", path, "): ", s.ToString());
  if (s.IsNotFound()) return absl::NotFoundError(msg);
  if (s.IsCorruption()) return absl::DataLossError(msg);
  if (s.IsIOError()) return absl::UnavailableError(msg);
  if (s.IsInvalidArgument()) return absl::InvalidArgumentError(msg);
  if (s.IsBusy() || s.IsTryAgain() || s.IsTimedOut()) return absl::UnavailableError(msg);
  return absl::InternalError(msg);
}

absl::Status Closed(std::string_view path) {
  return absl::FailedPreconditionError(leadflow::StrCat("store ", path, " is closed"));
}

}  // namespace

WriteBatch::WriteBatch() = default;
WriteBatch::~WriteBatch() = default;
WriteBatch::WriteBatch(WriteBatch&&) noexcept = default;
WriteBatch& WriteBatch::operator=(WriteBatch&&) noexcept = default;

void WriteBatch::Put(std::string_view cf, std::string_view key, std::string_view value) {
  ops_.push_back(Op{std::string(cf), std::string(key), std::string(value)});
}
void WriteBatch::Delete(std::string_view cf, std::string_view key) {
  ops_.push_back(Op{std::string(cf), std::string(key), std::nullopt});
}

namespace {

struct MemoryBudget {
  size_t bytes = 0;
  std::shared_ptr<rocksdb::Cache> cache;
  std::shared_ptr<rocksdb::WriteBufferManager> write_buffers;
};

std::mutex g_budget_mu;
size_t g_budget_bytes = size_t{256} << 20;
std::shared_ptr<const MemoryBudget> g_budget;  // built at the first Open after a change

std::shared_ptr<const MemoryBudget> SharedBudget() {
  std::lock_guard<std::mutex> lock(g_budget_mu);
  if (g_budget == nullptr) {
    auto b = std::make_shared<MemoryBudget>();
    b->bytes = g_budget_bytes;
    b->cache = rocksdb::NewLRUCache(b->bytes);
    b->write_buffers = std::make_shared<rocksdb::WriteBufferManager>(b->bytes / 2, b->cache);
    g_budget = std::move(b);
  }
  return g_budget;
}

}  // namespace

void SetProcessMemoryBudget(size_t bytes) {
  std::lock_guard<std::mutex> lock(g_budget_mu);
  g_budget_bytes = std::max<size_t>(bytes, size_t{8} << 20);
  g_budget.reset();
}

size_t ProcessMemoryBudget() {
  std::lock_guard<std::mutex> lock(g_budget_mu);
  return g_budget_bytes;
}

Store::Store(std::string path, StoreOptions options) : path_(std::move(path)), options_(options) {}

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& path,
                                                   const std::vector<std::string>& column_families,
                                                   const StoreOptions& options) {
  rocksdb::Options db_options;
  db_options.create_if_missing = options.create_if_missing;
  db_options.create_missing_column_families = true;
  db_options.IncreaseParallelism(2);
  // Without a WAL, column families must flush together to stay consistent with each other.
  db_options.atomic_flush = options.disable_wal;
  const std::shared_ptr<const MemoryBudget> budget = SharedBudget();
  db_options.write_buffer_manager = budget->write_buffers;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = budget->cache;
  table.cache_index_and_filter_blocks = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  // Bloom filters, so a read of a key that is not there (a new lead, the erasure check of every
  // record) skips the files instead of reading an index and a data block of each: 10 bits per
  // key (~1% false positives) in the files, and a whole-key filter on the memtables.
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  rocksdb::ColumnFamilyOptions cf_options(db_options);
  cf_options.memtable_prefix_bloom_size_ratio = 0.02;
  cf_options.memtable_whole_key_filtering = true;
  // Many small stores share the budget: a memtable never takes more than an eighth of it.
  cf_options.write_buffer_size = std::min<size_t>(cf_options.write_buffer_size, budget->bytes / 8);
  cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));

  // Union of what is on disk and what is asked for: RocksDB refuses to open a DB without listing
  // every family it has.
  std::vector<std::string> names;
  {
    std::vector<std::string> existing;
    const rocksdb::Status s = rocksdb::DB::ListColumnFamilies(db_options, path, &existing);
    if (s.ok()) names = existing;  // a missing DB is not an error here; Open decides
  }
  for (const std::string& cf : column_families) {
    if (std::find(names.begin(), names.end(), cf) == names.end()) names.push_back(cf);
  }
  if (std::find(names.begin(), names.end(), rocksdb::kDefaultColumnFamilyName) == names.end()) {
    names.insert(names.begin(), rocksdb::kDefaultColumnFamilyName);
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const std::string& name : names) descriptors.emplace_back(name, cf_options);

  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  LF_RETURN_IF_ERROR(
      FromRocks(rocksdb::DB::Open(db_options, path, descriptors, &handles, &raw), "open", path));
  auto store = std::unique_ptr<Store>(new Store(path, options));
  store->db_.reset(raw);
  for (size_t i = 0; i < names.size(); ++i) store->families_.emplace(names[i], handles[i]);
  return store;
}

Store::~Store() {
  if (db_ != nullptr) {
    if (absl::Status s = Close(); !s.ok()) {
      log::Error("closing store failed", {{"path", path_}, {"error", std::string(s.message())}});
    }
  }
}

absl::StatusOr<rocksdb::ColumnFamilyHandle*> Store::Family(std::string_view cf) const {
  if (db_ == nullptr) return Closed(path_);
  auto it = families_.find(cf);
  if (it == families_.end()) {
    return absl::InvalidArgumentError(
        leadflow::StrCat("store ", path_, ": no column family '", cf, "'"));
  }
  return it->second;
}

absl::StatusOr<std::optional<std::string>> Store::Get(std::string_view cf,
                                                      std::string_view key) const {
  LF_ASSIGN_OR_RETURN(rocksdb::ColumnFamilyHandle * handle, Family(cf));
  std::string value;
  const rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), handle, key, &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  LF_RETURN_IF_ERROR(FromRocks(s, "get", path_));
  return std::optional<std::string>(std::move(value));
}

absl::Status Store::Put(std::string_view cf, std::string_view key, std::string_view value) {
  WriteBatch batch;
  batch.Put(cf, key, value);
  return Write(batch);
}

absl::Status Store::Delete(std::string_view cf, std::string_view key) {
  WriteBatch batch;
  batch.Delete(cf, key);
  return Write(batch);
}

absl::Status Store::Write(const WriteBatch& batch) {
  if (db_ == nullptr) return Closed(path_);
  rocksdb::WriteBatch rb;
  for (const WriteBatch::Op& op : batch.ops_) {
    LF_ASSIGN_OR_RETURN(rocksdb::ColumnFamilyHandle * handle, Family(op.cf));
    const rocksdb::Status s =
        op.value.has_value() ? rb.Put(handle, op.key, *op.value) : rb.Delete(handle, op.key);
    LF_RETURN_IF_ERROR(FromRocks(s, "batch", path_));
  }
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync_writes && !options_.disable_wal;
  wo.disableWAL = options_.disable_wal;
  return FromRocks(db_->Write(wo, &rb), "write", path_);
}

absl::Status Store::Scan(std::string_view cf, std::string_view prefix,
                         const std::function<bool(std::string_view, std::string_view)>& fn) const {
  LF_ASSIGN_OR_RETURN(rocksdb::ColumnFamilyHandle * handle, Family(cf));
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handle));
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    const rocksdb::Slice key = it->key();
    if (!key.starts_with(prefix)) break;
    if (!fn(std::string_view(key.data(), key.size()),
            std::string_view(it->value().data(), it->value().size()))) {
      break;
    }
  }
  return FromRocks(it->status(), "scan", path_);
}

absl::Status Store::ScanFrom(
    std::string_view cf, std::string_view start,
    const std::function<bool(std::string_view, std::string_view)>& fn) const {
  LF_ASSIGN_OR_RETURN(rocksdb::ColumnFamilyHandle * handle, Family(cf));
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handle));
  for (it->Seek(rocksdb::Slice(start.data(), start.size())); it->Valid(); it->Next()) {
    if (!fn(std::string_view(it->key().data(), it->key().size()),
            std::string_view(it->value().data(), it->value().size()))) {
      break;
    }
  }
  return FromRocks(it->status(), "scan", path_);
}

absl::Status Store::Clear(std::string_view cf) {
  LF_ASSIGN_OR_RETURN(rocksdb::ColumnFamilyHandle * handle, Family(cf));
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handle));
  it->SeekToFirst();
  if (!it->Valid()) return FromRocks(it->status(), "clear", path_);
  std::string first = it->key().ToString();
  it->SeekToLast();
  std::string last = it->key().ToString();
  LF_RETURN_IF_ERROR(FromRocks(it->status(), "clear", path_));
  rocksdb::WriteBatch rb;
  // DeleteRange is [begin, end): delete the last key explicitly.
  LF_RETURN_IF_ERROR(FromRocks(rb.DeleteRange(handle, first, last), "clear", path_));
  LF_RETURN_IF_ERROR(FromRocks(rb.Delete(handle, last), "clear", path_));
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync_writes && !options_.disable_wal;
  wo.disableWAL = options_.disable_wal;
  return FromRocks(db_->Write(wo, &rb), "clear", path_);
}

absl::Status Store::CompactAll() {
  if (db_ == nullptr) return Closed(path_);
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  for (const auto& [name, handle] : families_) handles.push_back(handle);
  rocksdb::FlushOptions flush;
  flush.wait = true;
  LF_RETURN_IF_ERROR(FromRocks(db_->Flush(flush, handles), "flush", path_));
  rocksdb::CompactRangeOptions compact;
  // Rewrite the last level too: a deleted key's old value may sit there under its tombstone.
  compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  for (rocksdb::ColumnFamilyHandle* handle : handles) {
    LF_RETURN_IF_ERROR(
        FromRocks(db_->CompactRange(compact, handle, nullptr, nullptr), "compact", path_));
  }
  return absl::OkStatus();
}

std::vector<std::string> Store::column_families() const {
  std::vector<std::string> out;
  for (const auto& [name, handle] : families_) out.push_back(name);
  return out;
}

absl::Status Store::Close() {
  if (db_ == nullptr) return Closed(path_);
  absl::Status result = FromRocks(db_->FlushWAL(/*sync=*/true), "flush wal", path_);
  for (auto& [name, handle] : families_) {
    const rocksdb::Status s = db_->DestroyColumnFamilyHandle(handle);
    if (result.ok()) result = FromRocks(s, "close family", path_);
  }
  families_.clear();
  const rocksdb::Status s = db_->Close();
  if (result.ok()) result = FromRocks(s, "close", path_);
  db_.reset();
  return result;
}

}  // namespace leadflow::state
