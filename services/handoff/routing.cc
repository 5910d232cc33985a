#include "services/handoff/routing.h"

#include <algorithm>

#include "services/common/base/strings.h"
#include "services/common/events/lead_events.h"

namespace leadflow::handoff {
namespace {

bool InQueue(const v1::Rep& rep, const std::string& queue) {
  return std::find(rep.queues().begin(), rep.queues().end(), queue) != rep.queues().end();
}

}  // namespace

std::vector<ConfigViolation> ValidateRouting(const v1::RoutingConfig& routing) {
  std::vector<ConfigViolation> out;
  auto add = [&](std::string path, std::string why) {
    out.push_back({std::move(path), std::move(why)});
  };
  std::set<std::string> queues_with_reps;
  std::set<std::string> rep_ids;
  for (int i = 0; i < routing.reps_size(); ++i) {
    const v1::Rep& rep = routing.reps(i);
    const std::string at = StrCat("reps[", i, "]");
    if (rep.rep_id().empty()) {
      add(at + ".rep_id", "is required");
    } else if (!rep_ids.insert(rep.rep_id()).second) {
      add(at + ".rep_id", StrCat("'", rep.rep_id(), "' is listed twice"));
    }
    if (!(rep.weight() > 0)) add(at + ".weight", "must be positive");
    if (rep.capacity() < 0) add(at + ".capacity", "must not be negative (0 = unlimited)");
    if (rep.queues_size() == 0) add(at + ".queues", "a rep works at least one queue");
    for (const std::string& q : rep.queues()) {
      if (rep.active()) queues_with_reps.insert(q);
    }
    for (int k = 0; k < rep.out_of_office_size(); ++k) {
      const v1::TimeWindow& w = rep.out_of_office(k);
      if (events::MillisFromTimestamp(w.end()) <= events::MillisFromTimestamp(w.start())) {
        add(StrCat(at, ".out_of_office[", k, "]"), "must end after it starts");
      }
    }
  }
  for (int i = 0; i < routing.reps_size(); ++i) {
    const std::string& manager = routing.reps(i).manager_rep_id();
    if (!manager.empty() && rep_ids.count(manager) == 0) {
      add(StrCat("reps[", i, "].manager_rep_id"), StrCat("'", manager, "' is not a rep"));
    }
  }
  std::set<std::string> rule_ids;
  for (int i = 0; i < routing.rules_size(); ++i) {
    const v1::RoutingRule& r = routing.rules(i);
    const std::string at = StrCat("rules[", i, "]");
    if (!lifecycle::IsConfigId(r.rule_id())) {
      add(at + ".rule_id", "is required: 1-64 of a-z, 0-9, '_', '.', '-'");
    } else if (!rule_ids.insert(r.rule_id()).second) {
      add(at + ".rule_id", StrCat("'", r.rule_id(), "' is used by an earlier rule"));
    }
    if (r.conditions_size() == 0) add(at + ".conditions", "a rule needs at least one condition");
    for (int k = 0; k < r.conditions_size(); ++k) {
      lifecycle::ValidateCondition(r.conditions(k), StrCat(at, ".conditions[", k, "]"), &out);
    }
    if (r.queue().empty()) {
      add(at + ".queue", "is required");
    } else if (queues_with_reps.count(r.queue()) == 0) {
      add(at + ".queue", StrCat("no active rep works queue '", r.queue(), "'"));
    }
  }
  if (routing.fallback_queue().empty()) {
    add("fallback_queue", "is required (where leads go when no rule matches)");
  } else if (queues_with_reps.count(routing.fallback_queue()) == 0) {
    add("fallback_queue", StrCat("no active rep works queue '", routing.fallback_queue(), "'"));
  }
  return out;
}

absl::StatusOr<v1::RoutingConfig> LoadRoutingFile(const std::string& path) {
  v1::RoutingConfig routing;
  if (absl::Status s =
          config::LoadValidatedYamlFile(path, &routing, [&] { return ValidateRouting(routing); });
      !s.ok()) {
    return s;
  }
  return routing;
}

absl::StatusOr<Router> Router::Create(const v1::RoutingConfig& routing) {
  if (std::vector<ConfigViolation> v = ValidateRouting(routing); !v.empty()) {
    return absl::InvalidArgumentError(StrCat("routing: ", v.front().path, ": ", v.front().why));
  }
  Router out;
  out.config_ = routing;
  for (int i = 0; i < routing.rules_size(); ++i) {
    Rule rule{i, {}};
    for (const v1::AttributeCondition& c : routing.rules(i).conditions()) {
      rule.conditions.push_back(lifecycle::CompiledCondition::Compile(c));
    }
    out.rules_.push_back(std::move(rule));
  }
  std::stable_sort(out.rules_.begin(), out.rules_.end(), [&](const Rule& a, const Rule& b) {
    return routing.rules(a.index).priority() < routing.rules(b.index).priority();
  });
  for (int i = 0; i < routing.reps_size(); ++i) out.reps_[routing.reps(i).rep_id()] = i;
  return out;
}

std::string Router::Unavailable(const v1::Rep& rep, const RouteRequest& request, int open) const {
  if (!rep.active()) return "inactive";
  if (request.exclude.count(rep.rep_id()) != 0) return "had it before";
  for (const v1::TimeWindow& w : rep.out_of_office()) {
    if (request.now_ms >= events::MillisFromTimestamp(w.start()) &&
        request.now_ms < events::MillisFromTimestamp(w.end())) {
      return "out of office";
    }
  }
  if (rep.capacity() > 0 && open >= rep.capacity()) {
    return StrCat("at capacity (", open, "/", rep.capacity(), ")");
  }
  return "";
}

RouteResult Router::Route(const RouteRequest& request,
                          const std::function<int(const std::string& rep_id)>& open_handoffs,
                          std::map<std::string, Rotation>* rotations) const {
  RouteResult out;
  v1::RoutingDecision& d = out.decision;
  std::string prefix;  // what happened before the queue was chosen

  // 1. The account owner.
  if (config_.account_owner_first() && request.account != nullptr &&
      !request.account->owner_rep_id().empty()) {
    const std::string& owner = request.account->owner_rep_id();
    auto it = reps_.find(owner);
    if (it != reps_.end()) {
      const v1::Rep& rep = config_.reps(it->second);
      const std::string why = Unavailable(rep, request, open_handoffs(owner));
      if (why.empty()) {
        out.rep_id = owner;
        out.queue = rep.queues(0);
        out.candidates = {owner};
        d.set_method(v1::ROUTING_METHOD_ACCOUNT_OWNER);
        d.set_eligible_reps(1);
        d.set_territory(request.account->territory());
        d.set_segment(request.account->segment());
        d.set_explanation(StrCat("owner of account ", request.account->account_id(), " (",
                                 request.account->domain(), ")"));
        return out;
      }
      prefix = StrCat("account owner ", owner, " ", why, "; ");
    } else {
      prefix = StrCat("account owner ", owner, " is not a rep here; ");
    }
  }

  // 2. The first matching rule, else the fallback queue.
  const v1::RoutingRule* matched = nullptr;
  for (const Rule& rule : rules_) {
    const bool all = std::all_of(
        rule.conditions.begin(), rule.conditions.end(),
        [&](const lifecycle::CompiledCondition& c) { return c.Matches(*request.lead); });
    if (all) {
      matched = &config_.rules(rule.index);
      break;
    }
  }
  if (matched != nullptr) {
    out.queue = matched->queue();
    d.set_method(v1::ROUTING_METHOD_RULE);
    d.set_rule_id(matched->rule_id());
    d.set_territory(matched->territory());
    d.set_segment(matched->segment());
    prefix +=
        StrCat("rule ", matched->rule_id(),
               matched->description().empty() ? "" : StrCat(" (", matched->description(), ")"),
               " → queue ", out.queue);
  } else {
    out.queue = config_.fallback_queue();
    d.set_method(v1::ROUTING_METHOD_FALLBACK);
    prefix += StrCat("no rule matched → fallback queue ", out.queue);
  }

  // 3. Smooth weighted round-robin over the reps of the queue that can take it.
  std::vector<const v1::Rep*> eligible;
  int away = 0;
  int full = 0;
  for (const v1::Rep& rep : config_.reps()) {
    if (!InQueue(rep, out.queue)) continue;
    const std::string why = Unavailable(rep, request, open_handoffs(rep.rep_id()));
    if (why.empty()) {
      eligible.push_back(&rep);
      out.candidates.push_back(rep.rep_id());
    } else if (StartsWith(why, "at capacity")) {
      ++full;
    } else {
      ++away;
    }
  }
  d.set_eligible_reps(static_cast<int>(eligible.size()));
  if (eligible.empty()) {
    d.set_explanation(StrCat(prefix, "; no rep can take it (", full, " at capacity, ", away,
                             " away or excluded): waiting in the queue"));
    return out;
  }
  Rotation& rotation = (*rotations)[out.queue];
  double total = 0;
  const v1::Rep* pick = nullptr;
  for (const v1::Rep* rep : eligible) {
    double& credit = rotation.credit[rep->rep_id()];
    credit += rep->weight();
    total += rep->weight();
    if (pick == nullptr || credit > rotation.credit[pick->rep_id()]) pick = rep;
  }
  rotation.credit[pick->rep_id()] -= total;
  out.rep_id = pick->rep_id();
  d.set_explanation(StrCat(prefix, "; weighted round-robin picked ", pick->rep_id(), " of ",
                           eligible.size(), " eligible"));
  return out;
}

}  // namespace leadflow::handoff
