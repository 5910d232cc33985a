// reporting on the stream runtime: consumes every lead-keyed topic — leadflow.leads.v1,
// leadflow.qualification.v1, leadflow.handoffs.v1, leadflow.recycle.v1 — co-partitioned, and folds
// each event into the fact row of its lead-cycle (facts.h), stored under "cycles" as
// "<lead>/<cycle>". Intake's events carry no cycle: the lead's current cycle is kept under
// "cursors". Every report is computed from the rows (aggregates.h), so nothing is pre-aggregated
// and every filter stays exact. Reads nothing but events; writes nothing but state.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "services/common/metrics/metrics.h"
#include "services/common/stream/erasure_gate.h"
#include "services/common/stream/processor.h"

namespace leadflow::reporting {

inline constexpr char kCyclesStore[] = "cycles";  // "<lead>/<cycle 6 digits>" → LeadCycleFacts
// lead id → LeadCycleCursor; an erased lead's cursor lives on under its rows' anonymous id.
inline constexpr char kCursorsStore[] = "cursors";

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
  // The first copy of a LeadErased: the lead's rows and cursor move under `anonymous_id`.
  absl::Status Anonymize(const std::string& lead_id, const std::string& anonymous_id,
                         stream::Context& ctx);
  stream::ErasureGate gate_;
  std::unique_ptr<Metrics> metrics_;
};

}  // namespace leadflow::reporting
