// The config topic (leadflow.config.v1) as a service reads it: the latest ConfigRecord of each
// kind it uses, from the topic's global table. Records are parsed again only when the table moved
// (its generation), so a processor can ask on every record for the price of one integer compare.
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
#include "leadflow/v1/config.pb.h"

namespace leadflow::config {

inline constexpr char kConfigTopic[] = "leadflow.config.v1";

// The oneof member name of a record ("icp", "stage_model"); its key on the config topic.
std::string ConfigKind(const v1::ConfigRecord& record);

class ConfigRecords {
 public:
  // Reads the table's value of a key.
  using Getter = std::function<absl::StatusOr<std::optional<std::string>>(std::string_view key)>;

  struct Refreshed {
    std::vector<std::string> changed;  // kinds whose version differs from before
    std::vector<std::string> errors;   // records that could not be used (kept the previous one)
  };

  explicit ConfigRecords(std::vector<std::string> kinds) : kinds_(std::move(kinds)) {}

  // Re-reads every kind when `generation` differs from the last call's (always on the first).
  absl::StatusOr<Refreshed> Refresh(uint64_t generation, const Getter& get);

  // The latest record of `kind`; null when none was published.
  const v1::ConfigRecord* Find(std::string_view kind) const;

 private:
  std::vector<std::string> kinds_;
  std::optional<uint64_t> generation_;
  std::map<std::string, v1::ConfigRecord, std::less<>> records_;
};

// The config a service decides with: per kind, the last published record that the service could
// use, or — until one is published — the local file's (version 0). A published record that fails
// the kind's check (e.g. an ICP that does not validate here) is reported once and the previous one
// stays in force; the other kinds go ahead.
class ConfigSet {
 public:
  struct Kind {
    std::string name;                       // "icp", "routing", ...
    std::optional<v1::ConfigRecord> local;  // version 0; nullopt = none until published
    // Why a published record cannot be used; "" when it can. Null = any parsed record is usable.
    std::function<std::string(const v1::ConfigRecord&)> unusable;
  };
  explicit ConfigSet(std::vector<Kind> kinds);

  struct Update {
    std::vector<std::string> changed;  // kinds now in force with a new record
    std::vector<std::string> errors;   // published records that could not be used
  };
  // Re-reads the table when `generation` moved (see ConfigRecords::Refresh).
  absl::StatusOr<Update> Refresh(uint64_t generation, const ConfigRecords::Getter& get);

  // The record of `kind` in force; null when neither published nor local.
  const v1::ConfigRecord* Get(std::string_view kind) const;
  // The highest version among the records in force (the snapshot's global version).
  int64_t version() const;

 private:
  std::vector<Kind> kinds_;
  ConfigRecords records_;
  std::map<std::string, v1::ConfigRecord, std::less<>> good_;
};

// A service's config snapshot of type T, built from a ConfigSet and rebuilt whenever a kind in it
// changes. A snapshot that does not build keeps the previous one in force (reported as an error).
template <typename T>
class Snapshots {
 public:
  using Build = std::function<absl::StatusOr<std::shared_ptr<const T>>(const ConfigSet&)>;

  // Builds the first snapshot (from the local files' records).
  static absl::StatusOr<std::unique_ptr<Snapshots>> Create(ConfigSet set, Build build) {
    std::unique_ptr<Snapshots> out(new Snapshots(std::move(set), std::move(build)));
    absl::StatusOr<std::shared_ptr<const T>> first = out->build_(out->set_);
    if (!first.ok()) return first.status();
    out->current_ = std::move(*first);
    return out;
  }

  struct Update {
    bool changed = false;             // current() is a new snapshot
    std::vector<std::string> errors;  // published records (or snapshots) that could not be used
  };
  absl::StatusOr<Update> Refresh(uint64_t generation, const ConfigRecords::Getter& get) {
    Update out;
    absl::StatusOr<ConfigSet::Update> update = set_.Refresh(generation, get);
    if (!update.ok()) return update.status();
    out.errors = std::move(update->errors);
    if (update->changed.empty()) return out;
    absl::StatusOr<std::shared_ptr<const T>> built = build_(set_);
    if (!built.ok()) {
      out.errors.push_back(std::string(built.status().message()));
      return out;
    }
    current_ = std::move(*built);
    out.changed = true;
    return out;
  }

  std::shared_ptr<const T> current() const { return current_; }

 private:
  Snapshots(ConfigSet set, Build build) : set_(std::move(set)), build_(std::move(build)) {}
  ConfigSet set_;
  Build build_;
  std::shared_ptr<const T> current_;
};

}  // namespace leadflow::config
