// The handoff of one lead, pure: what each input does to its HandoffState and which events,
// routing requests and timer changes follow. The processor feeds it (qualification events,
// routing answers, sales answers, SLA timers) and carries out the effects; no I/O, no clock.
//
//   LeadQualified ─▶ route ─▶ LeadHandedOff (SLA deadline) ─▶ accept / reject(reason)
//                                   │ deadline passed              │
//                                   ▼                              ▼
//        LeadEscalated: notify (new deadline) or reassign    convert ─▶ opportunity ─▶ won | lost
//        (route again without the previous owners) … then
//        reject as SLA_EXPIRED, or hand to the team queue (config)
//
// Every sales answer is checked against the stage model (is the transition allowed from the
// lead's stage?) and the handoff (is the rep its owner, is it the opportunity that was opened?);
// one that does not fit is refused with the reason, and remembered so a retry gets the same answer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "leadflow/v1/feedback.pb.h"
#include "leadflow/v1/handoff_state.pb.h"
#include "services/handoff/config_source.h"

namespace leadflow::handoff {

// The timer key of a lead's SLA deadline (one per lead).
std::string SlaTimerKey(std::string_view lead_id);

// What the processor must do after one input.
struct Effects {
  enum class Store { kKeep, kPut, kDelete } store = Store::kKeep;
  v1::HandoffState state;                   // for kPut
  std::vector<v1::LeadEvent> events;        // to leadflow.handoffs.v1, in order
  std::vector<v1::RoutingCommand> routing;  // to the routing step, in order
  enum class Timer { kKeep, kSchedule, kCancel } timer = Timer::kKeep;
  int64_t timer_due_ms = 0;
  // The input is refused: it goes to the DLQ with this reason and detail (which field, why).
  std::optional<v1::DeadLetterReason> refusal;
  std::string detail;
  v1::FeedbackOutcome outcome = v1::FEEDBACK_OUTCOME_UNSPECIFIED;  // for sales answers
};

// The checks a sales answer must pass before anything else (also run by the API, so a caller gets
// them as INVALID_ARGUMENT at once): required fields, exactly one action, the rejection reason from
// the picklist, at least one criterion for convert, ids for opportunities, a known outcome.
// Empty when valid; otherwise "field: why".
std::string ValidateFeedback(const v1::SalesFeedback& feedback, const v1::StageModel& stages);

// "<source_system>:<idempotency_key>".
std::string FeedbackKey(const v1::SalesFeedback& feedback);

// The lead passed the MQL gate: a new handoff for its cycle (routing asked; nothing is published
// until routing answers). A repeat for the same cycle is ignored.
Effects OnQualified(std::optional<v1::HandoffState> state, const v1::LeadEvent& qualified,
                    const HandoffConfig& config);

// Qualification disqualified the lead: a handoff not yet answered is withdrawn.
Effects OnDisqualified(std::optional<v1::HandoffState> state, const v1::LeadEvent& disqualified);

// Recycle took the lead back to marketing (an ops recycle while it was with sales): the handoff is
// withdrawn (slot freed, timer cancelled) and later answers are refused by the stage model.
Effects OnRecycled(std::optional<v1::HandoffState> state, const v1::LeadEvent& recycled);

// The lead was erased: its handoff state goes (tombstone on the changelog), with its slot and
// timer.
Effects OnErased(std::optional<v1::HandoffState> state);

// Routing answered: the lead is handed off (LeadHandedOff, SLA timer), after a LeadReassigned when
// this was a reassignment. A stale answer (the handoff moved on) only gives the rep's slot back.
Effects OnAssignment(std::optional<v1::HandoffState> state, const v1::RoutingAssignment& assignment,
                     const HandoffConfig& config, int64_t now_ms);

// A sales answer (already through ValidateFeedback). `at_ms`: when the rep acted.
Effects OnFeedback(std::optional<v1::HandoffState> state, const v1::SalesFeedback& feedback,
                   const HandoffConfig& config, int64_t at_ms, int64_t now_ms);

// The SLA timer of the lead fired at `due_ms`: the next escalation step, a reassignment, or the end
// of the chain. A timer that no longer matches the handoff does nothing.
Effects OnSlaTimer(const v1::HandoffState& state, int64_t due_ms, const HandoffConfig& config,
                   int64_t now_ms);

// The profile the routing rules look at, from a LeadQualified.
v1::Lead RoutingProfile(const v1::LeadEvent& qualified);

}  // namespace leadflow::handoff
