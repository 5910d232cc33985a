// The acceptance SLA, pure: when a handoff must be answered (per fit grade, optionally counting
// only business hours in a time zone), and what happens when a deadline passes (the escalation
// chain: notify the manager or a queue, reassign, and finally reject as SLA_EXPIRED). Time is an
// input; the durable timers that fire these deadlines live on the runtime (processor).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "leadflow/v1/config.pb.h"
#include "services/common/config/proto_yaml.h"

namespace leadflow::handoff {

// Everything wrong with an SLA config: a positive accept_within (and per-grade overrides, each
// grade once), escalation steps with an action, a queue for notify-queue and a positive grace,
// max_reassignments not negative, business hours with a known time zone, days 1–7 (each once) and
// "HH:MM" opening before closing.
std::vector<config::ConfigViolation> ValidateSla(const v1::SlaConfig& sla);

// Loads and validates config/sla.yaml.
absl::StatusOr<v1::SlaConfig> LoadSlaFile(const std::string& path);

// What a passed deadline leads to.
struct Escalation {
  enum class Kind { kStep, kReject } kind = Kind::kReject;
  v1::EscalationStep step;       // for kStep
  int level = 0;                 // 1-based step of the chain (kStep)
  int64_t next_deadline_ms = 0;  // when this step's grace ends (kStep)
};

class Sla {
 public:
  static absl::StatusOr<Sla> Create(const v1::SlaConfig& sla);

  // The deadline of a handoff made at `from_ms` to a lead of `grade`.
  int64_t Deadline(int64_t from_ms, v1::FitGrade grade) const;

  // `duration_ms` of SLA time after `from_ms`: wall time, or only business hours when configured.
  int64_t Add(int64_t from_ms, int64_t duration_ms) const;

  // The deadline `missed_ms` passed after `steps_taken` steps of the chain and `reassignments`
  // reassignments: the next step, or reject when the chain is done or a reassignment would exceed
  // max_reassignments.
  Escalation Escalate(int steps_taken, int reassignments, int64_t missed_ms) const;

 private:
  v1::SlaConfig config_;
  bool business_hours_ = false;
  absl::TimeZone zone_;
  bool days_[8] = {};  // 1 = Monday … 7 = Sunday
  int open_minute_ = 0;
  int close_minute_ = 0;
};

}  // namespace leadflow::handoff
