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

using HandoffConfigSource = config::Snapshots<HandoffConfig>;

// The config source of the local files (validated; any error names file, line and field).
absl::StatusOr<std::unique_ptr<HandoffConfigSource>> LoadHandoffConfig(const HandoffFiles& files);

}  // namespace leadflow::handoff
