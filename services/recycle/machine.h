// The reverse handoff of one lead, pure: what each input does to its RecycleState and which
// events and timer changes follow. The processor feeds it (lead, qualification and handoff events,
// ops commands, timers); no I/O, no clock.
//
//   rejected / lost / disqualified / INQUIRY too long / ops ──▶ recycle limit reached? ─▶
//   LeadArchived
//                                                              no track takes it?    ─▶
//                                                              LeadArchived else ─▶ LeadRecycled
//                                                              (track, re-check)
//   in NURTURE: a release_on engagement, enough engagements, or qualification's engagement score
//   over the track's threshold ─▶ LeadNurtureReleased (new cycle, INQUIRY; qualification re-scores)
//   re-check timer: thresholds met ─▶ released; past max_duration ─▶ LeadArchived (NURTURE_EXPIRED)
//
// Every stage change is checked against the stage model; one it does not allow is not made (an
// event) or refused (an ops request).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "leadflow/v1/config.pb.h"
#include "leadflow/v1/lead.pb.h"
#include "leadflow/v1/recycle_service.pb.h"
#include "leadflow/v1/recycle_state.pb.h"

namespace leadflow::recycle {

struct RecycleConfig {
  int64_t version = 0;  // the highest version among the kinds in force
  v1::NurtureConfig nurture;
  int64_t nurture_version = 0;
  v1::StageModel stages;
};

// Timer keys of a lead: the nurture re-check (and maximum stay), and the INQUIRY stage SLA.
std::string NurtureTimerKey(std::string_view lead_id);
std::string InquiryTimerKey(std::string_view lead_id);

struct Effects {
  enum class Store { kKeep, kPut, kDelete } store = Store::kKeep;
  v1::RecycleState state;             // for kPut
  std::vector<v1::LeadEvent> events;  // to leadflow.recycle.v1, in order
  struct TimerOp {
    std::string key;
    std::optional<int64_t> due_ms;  // nullopt = cancel
  };
  std::vector<TimerOp> timers;
  std::optional<v1::DeadLetterReason> refusal;  // the input is refused (DLQ, API error)
  std::string detail;
  bool duplicate = false;  // an ops request seen before (applied)
  // Steps an event or timer called for that the stage model did not allow: nothing happened, and
  // the processor logs and counts each.
  std::vector<std::string> not_done;
};

// A lead, qualification or handoff event.
Effects OnEvent(std::optional<v1::RecycleState> state, const v1::LeadEvent& event,
                const RecycleConfig& config, int64_t now_ms);

// An ops request (release or recycle).
Effects OnCommand(std::optional<v1::RecycleState> state, const v1::RecycleCommand& command,
                  const RecycleConfig& config, int64_t now_ms);

// A timer of the lead fired at `due_ms`.
Effects OnTimer(const v1::RecycleState& state, std::string_view key, int64_t due_ms,
                const RecycleConfig& config, int64_t now_ms);

// The lead's status for the API (time in nurture as of `now_ms`).
v1::NurtureStatus StatusOf(const v1::RecycleState& state, const RecycleConfig& config,
                           int64_t now_ms);

}  // namespace leadflow::recycle
