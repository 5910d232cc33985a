#include "services/common/config/config_topic.h"

#include <algorithm>

#include "services/common/base/strings.h"

namespace leadflow::config {

std::string ConfigKind(const v1::ConfigRecord& record) {
  const auto* oneof = v1::ConfigRecord::descriptor()->FindOneofByName("config");
  const auto* field = v1::ConfigRecord::GetReflection()->GetOneofFieldDescriptor(record, oneof);
  return field == nullptr ? std::string() : field->name();
}

absl::StatusOr<ConfigRecords::Refreshed> ConfigRecords::Refresh(uint64_t generation,
                                                                const Getter& get) {
  Refreshed out;
  if (generation_.has_value() && *generation_ == generation) return out;
  // Read everything first: a failing read changes nothing, and the next call reads again.
  std::vector<std::pair<std::string, v1::ConfigRecord>> updates;
  for (const std::string& kind : kinds_) {
    absl::StatusOr<std::optional<std::string>> bytes = get(kind);
    if (!bytes.ok()) return bytes.status();  // the table itself failed: try again next time
    if (!bytes->has_value()) continue;       // nothing published (a tombstone keeps the last)
    v1::ConfigRecord record;
    const bool parsed = record.ParseFromString(**bytes) && ConfigKind(record) == kind;
    auto it = records_.find(kind);
    const int64_t version = parsed ? record.version().version() : -1;
    if (it != records_.end() && it->second.version().version() == version) continue;
    if (!parsed) {
      // Reported once per table change; the last good record of the kind stays.
      out.errors.push_back(StrCat("config record '", kind, "' does not parse as a ", kind,
                                  " ConfigRecord; keeping the previous one"));
      continue;
    }
    updates.emplace_back(kind, std::move(record));
  }
  for (auto& [kind, record] : updates) {
    records_.insert_or_assign(kind, std::move(record));
    out.changed.push_back(kind);
  }
  generation_ = generation;
  return out;
}

const v1::ConfigRecord* ConfigRecords::Find(std::string_view kind) const {
  auto it = records_.find(kind);
  return it == records_.end() ? nullptr : &it->second;
}

namespace {

std::vector<std::string> Names(const std::vector<ConfigSet::Kind>& kinds) {
  std::vector<std::string> out;
  for (const ConfigSet::Kind& k : kinds) out.push_back(k.name);
  return out;
}

}  // namespace

ConfigSet::ConfigSet(std::vector<Kind> kinds) : kinds_(std::move(kinds)), records_(Names(kinds_)) {}

absl::StatusOr<ConfigSet::Update> ConfigSet::Refresh(uint64_t generation,
                                                     const ConfigRecords::Getter& get) {
  Update out;
  absl::StatusOr<ConfigRecords::Refreshed> refreshed = records_.Refresh(generation, get);
  if (!refreshed.ok()) return refreshed.status();
  out.errors = std::move(refreshed->errors);
  for (const std::string& name : refreshed->changed) {
    const v1::ConfigRecord* record = records_.Find(name);
    if (record == nullptr) continue;
    for (const Kind& kind : kinds_) {
      if (kind.name != name) continue;
      if (kind.unusable != nullptr) {
        if (std::string why = kind.unusable(*record); !why.empty()) {
          out.errors.push_back(StrCat(name, " version ", record->version().version(), ": ", why));
          break;
        }
      }
      good_.insert_or_assign(name, *record);
      out.changed.push_back(name);
    }
  }
  return out;
}

const v1::ConfigRecord* ConfigSet::Get(std::string_view kind) const {
  if (auto it = good_.find(kind); it != good_.end()) return &it->second;
  for (const Kind& k : kinds_) {
    if (k.name == kind && k.local.has_value()) return &*k.local;
  }
  return nullptr;
}

int64_t ConfigSet::version() const {
  int64_t out = 0;
  for (const auto& [kind, record] : good_) out = std::max(out, record.version().version());
  return out;
}

}  // namespace leadflow::config
