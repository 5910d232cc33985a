#include "services/common/config/config_topic.h"

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

}  // namespace leadflow::config
