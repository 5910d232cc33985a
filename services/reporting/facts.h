// The fact row of a lead-cycle, pure: how one event changes what reporting knows of a lead in a
// cycle. Every report is computed from these rows (one per lead and cycle), so a lead that is
// recycled and re-qualifies counts again in its new cycle and every stage it enters counts once per
// cycle. No I/O, no clock; no personal data is kept.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "leadflow/v1/lead.pb.h"
#include "leadflow/v1/reporting_state.pb.h"

namespace leadflow::reporting {

// The store key of a lead-cycle: "<lead id>/<cycle, 6 digits>" (a lead's cycles in order).
std::string CycleKey(std::string_view lead_id, int cycle);

// The cycle an event belongs to: its envelope's, or — for intake's events that carry none — the
// lead's current cycle (`current`, 0 when unknown: cycle 1).
int CycleOf(const v1::LeadEvent& event, int current);

// Applies `event` to the facts of its cycle (`facts`, empty for a cycle not seen yet). Returns the
// rows to store: the cycle's row, and for a release from nurture also the new cycle's first row.
std::vector<v1::LeadCycleFacts> Fold(std::optional<v1::LeadCycleFacts> facts,
                                     const v1::LeadEvent& event);

// The first row of a cycle (Fold's second row on a release) merged into the row already stored
// for that cycle, when the cycle's later events were folded before the release (the topics are
// read in parallel): the start, attribution and INQUIRY entry come from `start`, the rest stays.
v1::LeadCycleFacts MergeStart(v1::LeadCycleFacts existing, const v1::LeadCycleFacts& start);

}  // namespace leadflow::reporting
