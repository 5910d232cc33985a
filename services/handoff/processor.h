// handoff on the stream runtime. One app, two steps over co-partitioned topics:
//   - the lead step (key: lead id) consumes leadflow.qualification.v1 (MQLs, disqualifications),
//     leadflow.recycle.v1 (a lead recycled while with sales is withdrawn),
//     leadflow.sales-feedback.v1 (sales answers) and leadflow.handoff.assignments.v1 (routing's
//     answers); it keeps one HandoffState per lead (store "handoffs"), runs the SLA timers, and
//     writes the public events to leadflow.handoffs.v1;
//   - the routing step consumes leadflow.handoff.routing.v1, where every record has the one key
//     "router": a single task sees every rep's open handoffs (capacity) and every queue's rotation
//     (fairness), which a per-lead-partition router could not. Routing is cheap (~1.6 µs per
//     decision, docs/benchmarks.md), so one task is far from a bottleneck.
// The machine (machine.h) decides; this file only moves records and state.
#pragma once

#include <memory>
#include <string>

#include "services/common/metrics/metrics.h"
#include "services/common/stream/erasure_gate.h"
#include "services/common/stream/processor.h"
#include "services/handoff/config_source.h"
#include "services/handoff/machine.h"

namespace leadflow::handoff {

inline constexpr char kHandoffsStore[] = "handoffs";  // lead id → HandoffState
// "open/<lead id>" → OpenAssignment, "load/<rep id>" → open count, "rotation/<queue>" →
// QueueRotation.
inline constexpr char kRouterStore[] = "router";
// The key of every record on the routing topic.
inline constexpr char kRouterKey[] = "router";

struct HandoffTopics {
  std::string qualification = "leadflow.qualification.v1";
  std::string feedback = "leadflow.sales-feedback.v1";
  std::string recycle = "leadflow.recycle.v1";                  // recycled leads leave sales
  std::string routing = "leadflow.handoff.routing.v1";          // internal
  std::string assignments = "leadflow.handoff.assignments.v1";  // internal
  std::string output = "leadflow.handoffs.v1";
  std::string config = "leadflow.config.v1";      // global table
  std::string accounts = "leadflow.accounts.v1";  // global table; "" = not used
};

class HandoffProcessor : public stream::Processor {
 public:
  HandoffProcessor(HandoffTopics topics, std::unique_ptr<HandoffConfigSource> config,
                   metrics::Registry* registry);
  ~HandoffProcessor() override;
  absl::Status Process(const stream::InputRecord& record, stream::Context& ctx) override;
  absl::Status OnTimer(const stream::Timer& timer, stream::Context& ctx) override;

 private:
  struct Metrics;
  absl::Status RefreshConfig(stream::Context& ctx);
  absl::Status HandleLeadEvent(const stream::InputRecord& record, stream::Context& ctx);
  absl::Status HandleFeedback(const stream::InputRecord& record, stream::Context& ctx);
  absl::Status HandleAssignment(const stream::InputRecord& record, stream::Context& ctx);
  absl::Status HandleRouting(const stream::InputRecord& record, stream::Context& ctx);
  absl::Status Route(const v1::RouteLead& route, stream::Context& ctx);
  absl::Status ReleaseSlot(std::string_view lead_id, int cycle, int attempt, stream::Context& ctx);
  absl::StatusOr<int> Load(stream::Context& ctx, std::string_view rep_id);
  // Carries out a decision for `lead_id`: state, events, routing requests, timer, refusal.
  absl::Status Apply(const std::string& lead_id, Effects effects, stream::Context& ctx);

  HandoffTopics topics_;
  std::unique_ptr<HandoffConfigSource> config_;
  std::unique_ptr<Metrics> metrics_;
  stream::ErasureGate gate_;
};

// The stored state of a lead, or nullopt.
absl::StatusOr<std::optional<v1::HandoffState>> ParseHandoffState(
    const std::optional<std::string>& bytes, std::string_view lead_id);

}  // namespace leadflow::handoff
