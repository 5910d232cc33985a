// Where qualification's config comes from: the published records of the config topic (icp,
// stage_model, scoring_model, nurture), or — for a kind nothing was published for yet — the local
// files it started with (version 0). A published record that does not build (e.g. an ICP that fails
// validation here) is reported and the previous snapshot stays in force.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/common/config/config_topic.h"
#include "services/qualification/qualifier.h"

namespace leadflow::qualification {

class ConfigSource {
 public:
  // Loads and validates the local files (config/icp.yaml, config/stages.yaml and, unless
  // `nurture_file` is empty, config/nurture.yaml — which disqualifications may be nurtured; the
  // same file recycle reads). Published records of each kind replace them.
  static absl::StatusOr<std::unique_ptr<ConfigSource>> Create(const std::string& icp_file,
                                                              const std::string& stages_file,
                                                              const std::string& nurture_file);

  struct Update {
    bool changed = false;             // current() is a new snapshot
    std::vector<std::string> errors;  // published records that could not be used
  };
  // Re-reads the config table when its generation moved and rebuilds the snapshot if a kind
  // changed. Fails only when the table cannot be read.
  absl::StatusOr<Update> Refresh(uint64_t generation, const config::ConfigRecords::Getter& get);

  std::shared_ptr<const QualificationConfig> current() const { return current_; }

 private:
  ConfigSource(v1::IcpConfig icp, v1::StageModel stages, std::optional<v1::NurtureConfig> nurture,
               std::shared_ptr<const QualificationConfig> initial)
      : local_icp_(std::move(icp)),
        local_stages_(std::move(stages)),
        local_nurture_(std::move(nurture)),
        current_(std::move(initial)) {}

  v1::IcpConfig local_icp_;
  v1::StageModel local_stages_;
  std::optional<v1::NurtureConfig> local_nurture_;
  config::ConfigRecords records_{{"icp", "stage_model", "scoring_model", "nurture"}};
  // The last published record of each kind that was usable.
  std::map<std::string, v1::ConfigRecord, std::less<>> good_;
  std::shared_ptr<const QualificationConfig> current_;
};

}  // namespace leadflow::qualification
