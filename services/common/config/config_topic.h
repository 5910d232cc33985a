// The config topic (leadflow.config.v1) as a service reads it: the latest ConfigRecord of each
// kind it uses, from the topic's global table. Records are parsed again only when the table moved
// (its generation), so a processor can ask on every record for the price of one integer compare.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
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

}  // namespace leadflow::config
