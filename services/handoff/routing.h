// Routing, pure: which rep (or team queue) an MQL goes to, and why. The order of issue #6:
//   1. account owner first — the lead's domain in the accounts table → that account's owner, if the
//      owner can take it (active, not away, under capacity, not excluded);
//   2. the first routing rule (by priority, then file order) whose conditions all match → its
//   queue,
//      territory and segment; no rule → the fallback queue;
//   3. within the queue, smooth weighted round-robin over the reps that can take it: each eligible
//      rep gains its weight, the highest is picked and pays the total back — so over any run of
//      assignments every rep's share stays within one assignment of weight / total weight, and
//      nobody is starved by tie-breaks.
// No eligible rep → the lead waits in the team queue (the caller counts it and says so). Every
// decision records the rule, the candidates and the pick. No I/O, no clock: time and loads are
// inputs; the rotation state is the caller's to keep (per queue, in the handoff's state store).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "leadflow/v1/config.pb.h"
#include "leadflow/v1/events.pb.h"
#include "leadflow/v1/feedback.pb.h"
#include "leadflow/v1/lead.pb.h"
#include "services/common/config/proto_yaml.h"
#include "services/common/lifecycle/conditions.h"

namespace leadflow::handoff {

using config::ConfigViolation;

// Everything wrong with a routing config (empty = valid): unique rule ids with valid conditions
// and a queue; unique rep ids, positive weights, capacities not negative, away periods that end
// after they start; a fallback queue; every queue a rule or the fallback names has a rep.
std::vector<ConfigViolation> ValidateRouting(const v1::RoutingConfig& routing);

// Loads and validates config/routing.yaml; every violation on its own line, "file:line:col: ...".
absl::StatusOr<v1::RoutingConfig> LoadRoutingFile(const std::string& path);

// The round-robin position of one queue: each rep's current credit. Kept by the caller.
struct Rotation {
  std::map<std::string, double> credit;
};

struct RouteRequest {
  const v1::Lead* lead = nullptr;              // profile and attribution of the MQL
  const v1::AccountRecord* account = nullptr;  // the accounts table's record of its domain, if any
  int64_t now_ms = 0;                          // for out-of-office periods
  std::set<std::string> exclude;               // reps that must not get it (previous owners)
};

struct RouteResult {
  // The rep picked; empty when no rep could take it (the lead waits in `queue`).
  std::string rep_id;
  std::string queue;
  v1::RoutingDecision decision;
  // The reps that could take it when the choice was made (decision.eligible_reps of them).
  std::vector<std::string> candidates;
};

class Router {
 public:
  // Compiles a validated config; fails with the first violation otherwise.
  static absl::StatusOr<Router> Create(const v1::RoutingConfig& routing);

  // `open_handoffs(rep)`: the rep's handoffs not yet answered (for capacity). `rotations`: the
  // rotation per queue, updated for the queue that picked.
  RouteResult Route(const RouteRequest& request,
                    const std::function<int(const std::string& rep_id)>& open_handoffs,
                    std::map<std::string, Rotation>* rotations) const;

  const v1::RoutingConfig& config() const { return config_; }

 private:
  struct Rule {
    int index;  // into config_.rules() (indices, not pointers: a Router may be copied)
    std::vector<lifecycle::CompiledCondition> conditions;
  };
  // Why `rep` cannot take a lead now, or "" when it can.
  std::string Unavailable(const v1::Rep& rep, const RouteRequest& request, int open) const;

  v1::RoutingConfig config_;
  std::vector<Rule> rules_;                       // by priority, then file order
  std::map<std::string, int, std::less<>> reps_;  // rep id → index into config_.reps()
};

}  // namespace leadflow::handoff
