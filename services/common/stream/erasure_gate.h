// How a lead-keyed processor meets an erasure. A service reads one copy of each LeadErased per
// upstream producer (qualification: intake's on leadflow.leads.v1 and recycle's on
// leadflow.recycle.v1), and its inputs are read in parallel. Between the first copy and the last,
// an input from a producer whose copy has not arrived yet was written before the erasure (a
// straggler: it must not bring the person back), and an input from a producer whose copy did arrive
// was written after it (the person came back: a fresh start). The gate tells them apart with a
// marker per lead in the runtime's `__erasures` store (no personal data: the request id, the copies
// seen, and what the processor keeps with it), erased with the last copy.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "leadflow/v1/lead.pb.h"
#include "services/common/metrics/metrics.h"
#include "services/common/stream/processor.h"

namespace leadflow::stream {

class ErasureGate {
 public:
  // `producers`: the services whose LeadErased copies this processor reads. Counts stragglers
  // and copies in `registry` (leadflow_erasure_*).
  ErasureGate(std::vector<v1::ServiceName> producers, metrics::Registry* registry);

  enum class Verdict {
    kProcess,    // no erasure under way, or the input is from after it: handle as usual
    kStraggler,  // from before the erasure, arriving after its first copy: do not apply it
    kFirstCopy,  // the first copy of an erasure: erase the person now
    kLaterCopy,  // a later copy (or a repeat): the person is erased already
  };
  struct Decision {
    Verdict verdict = Verdict::kProcess;
    // What the first copy kept with the marker (e.g. reporting's anonymous id); for stragglers
    // and later copies.
    std::string kept;
  };

  // Judges `event` (of lead `lead_id`) and updates the marker in the task's state. `keep`: for a
  // first copy, what to keep with the marker until the last copy.
  absl::StatusOr<Decision> Admit(std::string_view lead_id, const v1::LeadEvent& event, Context& ctx,
                                 std::string_view keep = "") const;

 private:
  uint32_t Bit(v1::ServiceName producer) const;
  std::vector<v1::ServiceName> producers_;
  uint32_t all_ = 0;
  metrics::Counter& stragglers_;
  metrics::Counter& first_copies_;
  metrics::Counter& later_copies_;
};

}  // namespace leadflow::stream
