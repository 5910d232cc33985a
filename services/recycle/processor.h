// recycle on the stream runtime: consumes leadflow.leads.v1 (profile, engagement),
// leadflow.qualification.v1 (scores, MQL, disqualifications), leadflow.handoffs.v1 (the sales
// stages, rejections, lost deals) and its command topic (ops release/recycle), co-partitioned;
// keeps one RecycleState per lead (store "nurture") with its timers (re-check, maximum stay,
// INQUIRY SLA), and writes LeadRecycled / LeadNurtureReleased / LeadArchived to
// leadflow.recycle.v1. The machine (machine.h) decides; this file moves records and state.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "services/common/config/config_topic.h"
#include "services/common/metrics/metrics.h"
#include "services/common/stream/erasure_gate.h"
#include "services/common/stream/processor.h"
#include "services/recycle/machine.h"

namespace leadflow::recycle {

inline constexpr char kNurtureStore[] = "nurture";  // lead id → RecycleState

struct RecycleTopics {
  std::string leads = "leadflow.leads.v1";
  std::string qualification = "leadflow.qualification.v1";
  std::string handoffs = "leadflow.handoffs.v1";
  std::string commands = "leadflow.recycle.commands.v1";  // internal: ops requests
  std::string output = "leadflow.recycle.v1";
  std::string config = "leadflow.config.v1";  // global table
};

// The nurture config and the stage model: published on the config topic, or the local files until
// a kind is published (version 0).
using RecycleConfigSource = config::Snapshots<RecycleConfig>;

absl::StatusOr<std::unique_ptr<RecycleConfigSource>> LoadRecycleConfig(
    const std::string& nurture_file, const std::string& stages_file);

class RecycleProcessor : public stream::Processor {
 public:
  RecycleProcessor(RecycleTopics topics, std::unique_ptr<RecycleConfigSource> config,
                   metrics::Registry* registry);
  ~RecycleProcessor() override;
  absl::Status Process(const stream::InputRecord& record, stream::Context& ctx) override;
  absl::Status OnTimer(const stream::Timer& timer, stream::Context& ctx) override;

 private:
  struct Metrics;
  absl::Status RefreshConfig(stream::Context& ctx);
  absl::Status Apply(const std::string& lead_id, Effects effects, stream::Context& ctx);

  RecycleTopics topics_;
  std::unique_ptr<RecycleConfigSource> config_;
  std::unique_ptr<Metrics> metrics_;
  stream::ErasureGate gate_;
};

// The stored state of a lead, or nullopt.
absl::StatusOr<std::optional<v1::RecycleState>> ParseRecycleState(
    const std::optional<std::string>& bytes, std::string_view lead_id);

}  // namespace leadflow::recycle
