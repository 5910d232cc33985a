// The config handoff decides with: routing, the SLA, the stage model (transitions and the
// rejection picklist) and the comp summary — from the config topic, or from the local files until
// a kind is published (version 0). A published record that does not build here is reported and the
// previous one stays in force.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "leadflow/v1/config.pb.h"
#include "services/common/config/config_topic.h"
#include "services/handoff/routing.h"
#include "services/handoff/sla.h"

namespace leadflow::handoff {

// One consistent snapshot.
struct HandoffConfig {
  int64_t version = 0;  // the highest version among the kinds in force (0 = local files only)
  Router router;
  int64_t routing_version = 0;
  Sla sla;
  v1::SlaConfig sla_config;
  v1::StageModel stages;
  std::optional<v1::CompSummary> comp;  // none: handoffs carry no comp annotation
  int64_t comp_version = 0;
};

struct HandoffFiles {
  std::string routing = "config/routing.yaml";
  std::string sla = "config/sla.yaml";
  std::string stages = "config/stages.yaml";
  std::string comp = "config/comp.yaml";  // "" = no local comp summary
};

class HandoffConfigSource {
 public:
  static absl::StatusOr<std::unique_ptr<HandoffConfigSource>> Create(const HandoffFiles& files);

  struct Update {
    bool changed = false;
    std::vector<std::string> errors;
  };
  absl::StatusOr<Update> Refresh(uint64_t generation, const config::ConfigRecords::Getter& get);

  std::shared_ptr<const HandoffConfig> current() const { return current_; }

 private:
  explicit HandoffConfigSource(config::ConfigSet set) : set_(std::move(set)) {}
  absl::StatusOr<std::shared_ptr<const HandoffConfig>> Build() const;

  config::ConfigSet set_;
  std::shared_ptr<const HandoffConfig> current_;
};

}  // namespace leadflow::handoff
