// reporting on the stream runtime: consumes every lead-keyed topic — leadflow.leads.v1,
// leadflow.qualification.v1, leadflow.handoffs.v1, leadflow.recycle.v1 — co-partitioned, and folds
// each event into the fact row of its lead-cycle (facts.h), stored under "cycles" as
// "<lead>/<cycle>". Intake's events carry no cycle: the lead's current cycle is kept under
// "cursors". Every report is computed from the rows (aggregates.h), so nothing is pre-aggregated
// and every filter stays exact. Reads nothing but events; writes nothing but state.
#pragma once

#include <memory>
#include <string>

#include <optional>

#include "absl/status/statusor.h"
#include "leadflow/v1/lead.pb.h"
#include "leadflow/v1/reporting_state.pb.h"
#include "services/common/metrics/metrics.h"
#include "services/common/stream/processor.h"

namespace leadflow::reporting {

inline constexpr char kCyclesStore[] = "cycles";    // "<lead>/<cycle 6 digits>" → LeadCycleFacts
inline constexpr char kCursorsStore[] = "cursors";  // lead id → LeadCycleCursor

struct ReportingTopics {
  std::string leads = "leadflow.leads.v1";
  std::string qualification = "leadflow.qualification.v1";
  std::string handoffs = "leadflow.handoffs.v1";
  std::string recycle = "leadflow.recycle.v1";
  std::string config = "leadflow.config.v1";  // global table
};

class ReportingProcessor : public stream::Processor {
 public:
  explicit ReportingProcessor(metrics::Registry* registry);
  ~ReportingProcessor() override;
  absl::Status Process(const stream::InputRecord& record, stream::Context& ctx) override;

 private:
  struct Metrics;
  // LeadErased (any copy): the lead's rows move under a random id, its cursor goes with the last
  // copy.
  absl::Status Erase(const std::string& lead_id, std::optional<v1::LeadCycleCursor> cursor,
                     const v1::LeadEvent& erased, stream::Context& ctx);
  std::unique_ptr<Metrics> metrics_;
};

}  // namespace leadflow::reporting
