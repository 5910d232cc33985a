#include "services/handoff/machine.h"

#include <algorithm>

#include "services/common/base/strings.h"
#include "services/common/base/words.h"
#include "services/common/events/ids.h"
#include "services/common/events/lead_events.h"
#include "services/common/lifecycle/comp.h"
#include "services/common/lifecycle/stage_model.h"

namespace leadflow::handoff {
namespace {
using lifecycle::Annotate;

using events::MillisFromTimestamp;
using events::TimestampFromMillis;

// Sales answers remembered per lead (a cycle has a handful; retries come soon after).
constexpr int kFeedbackKept = 32;

std::string StageName(v1::Stage s) {
  return s == v1::STAGE_UNSPECIFIED ? "none" : v1::Stage_Name(s).substr(6);
}

v1::RoutingCommand Release(const std::string& lead_id, int cycle, int attempt) {
  v1::RoutingCommand c;
  v1::ReleaseLead& r = *c.mutable_release();
  r.set_lead_id(lead_id);
  r.set_cycle(cycle);
  r.set_attempt(attempt);
  return c;
}

v1::RoutingCommand Release(const v1::HandoffState& s) {
  return Release(s.handoff().lead_id(), s.handoff().cycle(), s.handoff().attempt());
}

v1::RoutingCommand Route(const v1::HandoffState& s) {
  v1::RoutingCommand c;
  v1::RouteLead& r = *c.mutable_route();
  r.set_lead_id(s.handoff().lead_id());
  r.set_cycle(s.handoff().cycle());
  r.set_attempt(s.handoff().attempt());
  *r.mutable_lead() = RoutingProfile(s.qualified());
  for (const std::string& rep : s.previous_owners()) r.add_exclude(rep);
  return c;
}

// An event of `kind` caused by `cause` (an envelope), stamped with the config in force.
v1::LeadEvent Derive(const v1::EventEnvelope& cause, std::string_view kind, int64_t sub_index,
                     const HandoffConfig& config, int64_t now_ms, std::string_view id_scope = {}) {
  v1::LeadEvent wrapper;
  *wrapper.mutable_envelope() = cause;
  v1::LeadEvent e = events::DeriveEvent(wrapper, kind, v1::SERVICE_NAME_HANDOFF, now_ms, sub_index);
  e.mutable_envelope()->set_config_version(config.version);
  if (!id_scope.empty()) {
    // An external cause (a sales tool's idempotency key) is unique per tool, not per lead: the id
    // is scoped by lead and cycle so two leads' answers never share an event id.
    e.mutable_envelope()->set_event_id(
        events::EventId(StrCat(cause.event_id(), "@", id_scope), kind, sub_index));
  }
  return e;
}

void SetStageChange(v1::LeadEvent* e, v1::Stage from, v1::Stage to) {
  e->mutable_envelope()->mutable_stage_change()->set_from_stage(from);
  e->mutable_envelope()->mutable_stage_change()->set_to_stage(to);
}

// The cause of a sales answer's event: "feedback:<source_system>:<idempotency_key>", which also
// starts its correlation chain.
v1::EventEnvelope FeedbackCause(const v1::HandoffState& s, const v1::SalesFeedback& f,
                                int64_t at_ms) {
  v1::EventEnvelope env;
  env.set_event_id(StrCat("feedback:", FeedbackKey(f)));
  env.set_lead_id(s.handoff().lead_id());
  *env.mutable_occurred_at() = TimestampFromMillis(at_ms);
  env.set_correlation_id(env.event_id());
  env.set_trace_parent(f.trace_parent());
  env.set_cycle(s.handoff().cycle());
  return env;
}

// The cause of an SLA step: "timer:sla/<lead>/<cycle>/<attempt>/<step>" — one per firing.
v1::EventEnvelope TimerCause(const v1::HandoffState& s, int64_t due_ms) {
  v1::EventEnvelope env;
  env.set_event_id(StrCat("timer:", SlaTimerKey(s.handoff().lead_id()), "/", s.handoff().cycle(),
                          "/", s.handoff().attempt(), "/", s.escalation_steps()));
  env.set_lead_id(s.handoff().lead_id());
  *env.mutable_occurred_at() = TimestampFromMillis(due_ms);
  env.set_correlation_id(s.qualified().envelope().correlation_id());
  env.set_trace_parent(s.qualified().envelope().trace_parent());
  env.set_cycle(s.handoff().cycle());
  return env;
}

const v1::Rep* FindRep(const HandoffConfig& config, std::string_view rep_id) {
  for (const v1::Rep& r : config.router.config().reps()) {
    if (r.rep_id() == rep_id) return &r;
  }
  return nullptr;
}

bool WorksQueue(const HandoffConfig& config, std::string_view rep_id, std::string_view queue) {
  const v1::Rep* rep = FindRep(config, rep_id);
  if (rep == nullptr) return false;
  return std::find(rep->queues().begin(), rep->queues().end(), queue) != rep->queues().end();
}

// The stages the stage model lets `trigger` start from, for error texts.
std::string FromStages(const v1::StageModel& model, std::string_view trigger) {
  std::string out;
  for (const v1::StageTransition& t : model.transitions()) {
    if (t.trigger() != trigger) continue;
    StrAppend(&out, out.empty() ? "" : ", ", StageName(t.from_stage()));
  }
  return out.empty() ? std::string("no stage") : out;
}

std::string ReasonCode(v1::RejectionReason r) {
  return AsciiStrToLower(v1::RejectionReason_Name(r).substr(17));
}

// The handed-off event of the current attempt.
v1::LeadEvent HandedOff(const v1::HandoffState& s, const HandoffConfig& config, int64_t now_ms) {
  v1::LeadEvent e = Derive(s.handoff_cause(), "handed_off", s.handoff().attempt(), config, now_ms);
  *e.mutable_envelope()->mutable_occurred_at() = TimestampFromMillis(now_ms);
  const v1::LeadQualified& q = s.qualified().qualified();
  v1::LeadHandedOff& h = *e.mutable_handed_off();
  h.set_owner_rep_id(s.handoff().owner_rep_id());
  h.set_queue(s.handoff().queue());
  *h.mutable_routing() = s.handoff().routing();
  if (s.handoff().has_sla_deadline()) *h.mutable_sla_deadline() = s.handoff().sla_deadline();
  h.set_attempt(s.handoff().attempt());
  if (s.handoff().has_comp()) *h.mutable_comp() = s.handoff().comp();
  *h.mutable_score() = q.score();
  h.set_mql_basis(q.basis());
  *h.mutable_person() = q.person();
  *h.mutable_company() = q.company();
  *h.mutable_first_touch() = q.first_touch();
  *h.mutable_last_touch() = q.last_touch();
  *h.mutable_consent() = q.consent();
  return e;
}

Effects Put(v1::HandoffState s, const HandoffConfig& config) {
  Effects out;
  s.set_config_version(config.version);
  out.store = Effects::Store::kPut;
  out.state = std::move(s);
  return out;
}

// The lead was taken from `from` after an SLA breach; `attempt` is the new one (to: "" = the
// queue).
v1::LeadEvent Reassigned(const v1::EventEnvelope& cause, int attempt, const std::string& from,
                         const std::string& to, const HandoffConfig& config, int64_t now_ms) {
  v1::LeadEvent r = Derive(cause, "reassigned", attempt, config, now_ms);
  v1::LeadReassigned& m = *r.mutable_reassigned();
  m.set_from_rep_id(from);
  m.set_to_rep_id(to);
  m.set_reason_code(v1::REASSIGN_REASON_SLA_BREACH);
  m.set_attempt(attempt - 1);
  return r;
}

// Takes the handoff away from sales into `stage`: a pending one gives its rep's slot back and stops
// its SLA timer; later answers are refused by the stage model.
Effects Withdraw(v1::HandoffState s, v1::Stage stage) {
  Effects out;
  if (s.stage() == v1::STAGE_MQL) {
    out.routing.push_back(Release(s));
    out.timer = Effects::Timer::kCancel;
  }
  s.set_stage(stage);
  s.set_awaiting_route(false);
  s.mutable_handoff()->set_status(v1::HANDOFF_STATUS_WITHDRAWN);
  s.mutable_handoff()->clear_sla_deadline();
  out.store = Effects::Store::kPut;
  out.state = std::move(s);
  return out;
}

}  // namespace

std::string SlaTimerKey(std::string_view lead_id) { return StrCat("sla/", lead_id); }

std::string FeedbackKey(const v1::SalesFeedback& f) {
  return StrCat(f.source_system(), ":", f.idempotency_key());
}

v1::Lead RoutingProfile(const v1::LeadEvent& qualified) {
  const v1::LeadQualified& q = qualified.qualified();
  v1::Lead lead;
  lead.set_lead_id(qualified.envelope().lead_id());
  *lead.mutable_person() = q.person();
  *lead.mutable_company() = q.company();
  *lead.mutable_consent() = q.consent();
  *lead.mutable_first_touch() = q.first_touch();
  *lead.mutable_last_touch() = q.last_touch();
  *lead.mutable_score() = q.score();
  lead.set_stage(v1::STAGE_MQL);
  lead.set_cycle(qualified.envelope().cycle());
  return lead;
}

std::string ValidateFeedback(const v1::SalesFeedback& f, const v1::StageModel& stages) {
  if (f.idempotency_key().empty()) return "idempotency_key: is required";
  if (f.idempotency_key().size() > 256) return "idempotency_key: longer than 256 bytes";
  if (f.source_system().empty()) return "source_system: is required";
  if (f.source_system().size() > 64) return "source_system: longer than 64 bytes";
  if (f.lead_id().empty()) return "lead_id: is required";
  if (f.rep_id().empty()) return "rep_id: is required";
  switch (f.action_case()) {
    case v1::SalesFeedback::ACTION_NOT_SET:
      return "action: exactly one of accept, reject, convert, opportunity_opened, "
             "opportunity_closed is required";
    case v1::SalesFeedback::kAccept:
      return "";
    case v1::SalesFeedback::kReject: {
      const v1::RejectionReason r = f.reject().reason_code();
      if (r == v1::REJECTION_REASON_UNSPECIFIED) return "reject.reason_code: is required";
      if (r == v1::REJECTION_REASON_SLA_EXPIRED) {
        return "reject.reason_code: sla_expired is given by handoff itself, not by a rep";
      }
      if (!lifecycle::RejectionReasonAllowed(stages, r)) {
        std::string allowed;
        for (const v1::RejectionReasonOption& o : stages.rejection_reasons()) {
          StrAppend(&allowed, allowed.empty() ? "" : ", ", ReasonCode(o.reason()));
        }
        return StrCat("reject.reason_code: ", ReasonCode(r), " is not on the configured list (",
                      allowed, ")");
      }
      if (f.reject().reason_text().size() > 4096) return "reject.reason_text: over 4096 bytes";
      return "";
    }
    case v1::SalesFeedback::kConvert: {
      const v1::QualificationCriteria& c = f.convert().criteria();
      if (!c.need() && !c.budget() && !c.authority() && !c.timeline()) {
        return "convert.criteria: at least one of need, budget, authority, timeline must be true";
      }
      return "";
    }
    case v1::SalesFeedback::kOpportunityOpened:
      if (f.opportunity_opened().opportunity_id().empty()) {
        return "opportunity_opened.opportunity_id: is required";
      }
      if (f.opportunity_opened().amount().amount_micros() < 0) {
        return "opportunity_opened.amount: must not be negative";
      }
      return "";
    case v1::SalesFeedback::kOpportunityClosed: {
      const v1::SalesFeedback::OpportunityClosed& c = f.opportunity_closed();
      if (c.opportunity_id().empty()) return "opportunity_closed.opportunity_id: is required";
      if (c.outcome() != v1::OPPORTUNITY_OUTCOME_WON &&
          c.outcome() != v1::OPPORTUNITY_OUTCOME_LOST) {
        return "opportunity_closed.outcome: must be won or lost";
      }
      if (c.amount().amount_micros() < 0) return "opportunity_closed.amount: must not be negative";
      return "";
    }
  }
  return "action: not supported by this version";
}

Effects OnQualified(std::optional<v1::HandoffState> state, const v1::LeadEvent& qualified,
                    const HandoffConfig& config) {
  const int cycle = std::max(1, qualified.envelope().cycle());
  if (state.has_value() && state->handoff().cycle() >= cycle) return {};  // seen this cycle
  Effects out;
  if (state.has_value() && state->stage() == v1::STAGE_MQL) {
    // An unanswered handoff of an older cycle (not expected: recycle ends a cycle): let it go.
    out.routing.push_back(Release(*state));
    out.timer = Effects::Timer::kCancel;
  }
  v1::HandoffState s;
  if (state.has_value()) {
    // Answers of earlier cycles stay remembered: a late retry of one is a duplicate, not an
    // answer to the new handoff.
    *s.mutable_feedback() = state->feedback();
  }
  v1::Handoff& h = *s.mutable_handoff();
  h.set_lead_id(qualified.envelope().lead_id());
  h.set_cycle(cycle);
  h.set_status(v1::HANDOFF_STATUS_PENDING);
  h.set_attempt(1);
  *h.mutable_score() = qualified.qualified().score();
  s.set_stage(v1::STAGE_MQL);
  *s.mutable_qualified() = qualified;
  s.mutable_qualified()->mutable_envelope()->set_cycle(cycle);
  *s.mutable_handoff_cause() = s.qualified().envelope();
  s.set_awaiting_route(true);
  Effects put = Put(std::move(s), config);
  put.routing.insert(put.routing.begin(), out.routing.begin(), out.routing.end());
  put.routing.push_back(Route(put.state));
  put.timer = out.timer;
  return put;
}

Effects OnDisqualified(std::optional<v1::HandoffState> state, const v1::LeadEvent& disqualified) {
  if (!state.has_value() || state->stage() != v1::STAGE_MQL) return {};
  const int cycle = disqualified.envelope().cycle();
  if (cycle != 0 && cycle != state->handoff().cycle()) return {};
  return Withdraw(std::move(*state), v1::STAGE_DISQUALIFIED);
}

Effects OnRecycled(std::optional<v1::HandoffState> state, const v1::LeadEvent& recycled) {
  if (!state.has_value()) return {};
  const int cycle = recycled.envelope().cycle();
  const v1::Stage stage = state->stage();
  const bool with_sales = stage == v1::STAGE_MQL || stage == v1::STAGE_SAL ||
                          stage == v1::STAGE_SQL || stage == v1::STAGE_OPPORTUNITY;
  if (!with_sales || (cycle != 0 && cycle != state->handoff().cycle())) return {};
  return Withdraw(std::move(*state), v1::STAGE_NURTURE);
}

Effects OnErased(std::optional<v1::HandoffState> state) {
  Effects out;
  if (!state.has_value()) return out;
  if (state->stage() == v1::STAGE_MQL) out.routing.push_back(Release(*state));
  out.timer = Effects::Timer::kCancel;
  out.store = Effects::Store::kDelete;
  return out;
}

Effects OnAssignment(std::optional<v1::HandoffState> state, const v1::RoutingAssignment& a,
                     const HandoffConfig& config, int64_t now_ms) {
  if (!state.has_value() || !state->awaiting_route() || state->stage() != v1::STAGE_MQL ||
      state->handoff().cycle() != a.cycle() || state->handoff().attempt() != a.attempt()) {
    // The handoff moved on while routing answered (answered, withdrawn, a newer attempt): the
    // rep's slot goes back.
    Effects out;
    if (!a.rep_id().empty()) out.routing.push_back(Release(a.lead_id(), a.cycle(), a.attempt()));
    return out;
  }
  v1::HandoffState s = std::move(*state);
  v1::Handoff& h = *s.mutable_handoff();
  s.set_awaiting_route(false);
  h.set_owner_rep_id(a.rep_id());
  h.set_queue(a.queue());
  *h.mutable_routing() = a.decision();
  *h.mutable_handed_off_at() = TimestampFromMillis(now_ms);
  const int64_t deadline = s.reassign_deadline_ms() > 0
                               ? s.reassign_deadline_ms()
                               : config.sla.Deadline(now_ms, h.score().fit_grade());
  *h.mutable_sla_deadline() = TimestampFromMillis(deadline);
  if (!a.rep_id().empty() && std::find(s.previous_owners().begin(), s.previous_owners().end(),
                                       a.rep_id()) == s.previous_owners().end()) {
    s.add_previous_owners(a.rep_id());
  }
  const v1::LeadQualified& q = s.qualified().qualified();
  if (config.comp.has_value()) {
    *h.mutable_comp() = Annotate(*config.comp, config.comp_version, q.first_touch(), q.last_touch(),
                                 now_ms, /*opening=*/false, /*was_mql=*/true, {});
  }
  Effects out;
  if (h.attempt() > 1) {
    out.events.push_back(Reassigned(s.handoff_cause(), h.attempt(), s.reassign_from_rep_id(),
                                    a.rep_id(), config, now_ms));
  }
  s.clear_reassign_from_rep_id();
  s.clear_reassign_deadline_ms();
  out.events.push_back(HandedOff(s, config, now_ms));
  out.timer = Effects::Timer::kSchedule;
  out.timer_due_ms = deadline;
  Effects put = Put(std::move(s), config);
  put.events = std::move(out.events);
  put.timer = out.timer;
  put.timer_due_ms = out.timer_due_ms;
  return put;
}

Effects OnFeedback(std::optional<v1::HandoffState> state, const v1::SalesFeedback& f,
                   const HandoffConfig& config, int64_t at_ms, int64_t now_ms) {
  Effects out;
  if (!state.has_value()) {
    out.refusal = v1::DEAD_LETTER_REASON_UNKNOWN_LEAD;
    out.detail = "lead_id: no handoff for this lead (it was never handed to sales)";
    return out;
  }
  // When the rep acted: not before the handoff, not in the future (the sales tool's clock is not
  // trusted with the SLA or the attribution window).
  if (state->handoff().has_handed_off_at()) {
    at_ms = std::max(at_ms, MillisFromTimestamp(state->handoff().handed_off_at()));
  }
  at_ms = std::min(at_ms, now_ms);
  const std::string key = FeedbackKey(f);
  for (const v1::FeedbackRecord& r : state->feedback()) {
    if (r.key() != key) continue;
    if (r.refused()) {
      out.refusal = r.refusal_reason();
      out.detail = r.detail();
    } else {
      out.outcome = v1::FEEDBACK_OUTCOME_DUPLICATE;
    }
    return out;
  }
  v1::HandoffState s = std::move(*state);
  v1::Handoff& h = *s.mutable_handoff();
  const v1::Stage from = s.stage();
  v1::Stage to = v1::STAGE_UNSPECIFIED;
  std::string trigger;
  std::string action;
  switch (f.action_case()) {
    case v1::SalesFeedback::kAccept:
      to = v1::STAGE_SAL, trigger = "accepted", action = "accept";
      break;
    case v1::SalesFeedback::kReject:
      to = v1::STAGE_REJECTED, trigger = "rejected", action = "reject";
      break;
    case v1::SalesFeedback::kConvert:
      to = v1::STAGE_SQL, trigger = "converted", action = "convert";
      break;
    case v1::SalesFeedback::kOpportunityOpened:
      to = v1::STAGE_OPPORTUNITY, trigger = "opportunity_opened", action = "opportunity_opened";
      break;
    case v1::SalesFeedback::kOpportunityClosed:
      to = f.opportunity_closed().outcome() == v1::OPPORTUNITY_OUTCOME_WON ? v1::STAGE_WON
                                                                           : v1::STAGE_LOST;
      trigger = "opportunity_closed", action = "opportunity_closed";
      break;
    case v1::SalesFeedback::ACTION_NOT_SET:
      break;
  }
  auto refuse = [&](std::string detail) {
    v1::FeedbackRecord& r = *s.add_feedback();
    r.set_key(key);
    r.set_refused(true);
    r.set_detail(detail);
    r.set_refusal_reason(v1::DEAD_LETTER_REASON_INVALID_TRANSITION);
    if (s.feedback_size() > kFeedbackKept) {
      s.mutable_feedback()->DeleteSubrange(0, s.feedback_size() - kFeedbackKept);
    }
    Effects refused = Put(std::move(s), config);
    refused.refusal = v1::DEAD_LETTER_REASON_INVALID_TRANSITION;
    refused.detail = std::move(detail);
    return refused;
  };
  if (to == v1::STAGE_UNSPECIFIED) {
    out.refusal = v1::DEAD_LETTER_REASON_UNSUPPORTED;
    out.detail = "action: none that this version knows";
    return out;
  }
  if (!lifecycle::TransitionAllowed(config.stages, from, to, trigger)) {
    return refuse(StrCat(action, ": not allowed while the lead is ", StageName(from), " (cycle ",
                         h.cycle(), "); the stage model allows it only from ",
                         FromStages(config.stages, trigger)));
  }
  const bool pending = from == v1::STAGE_MQL;
  if (pending && s.awaiting_route()) {
    // Passing: not remembered, so the same answer succeeds once the lead is handed off.
    out.refusal = v1::DEAD_LETTER_REASON_INVALID_TRANSITION;
    out.detail = StrCat(action, ": the lead is being routed and was not handed to a rep yet");
    return out;
  }
  if (!h.owner_rep_id().empty()) {
    if (f.rep_id() != h.owner_rep_id()) {
      return refuse(StrCat("rep_id: ", f.rep_id(), " does not own this handoff (the owner is ",
                           h.owner_rep_id(), ")"));
    }
  } else if (!WorksQueue(config, f.rep_id(), h.queue())) {
    return refuse(StrCat("rep_id: ", f.rep_id(), " does not work the queue ", h.queue(),
                         " that holds this handoff"));
  }
  if (f.has_opportunity_closed() && f.opportunity_closed().opportunity_id() != h.opportunity_id()) {
    return refuse(StrCat("opportunity_closed.opportunity_id: '",
                         f.opportunity_closed().opportunity_id(),
                         "' is not the lead's open opportunity ('", h.opportunity_id(), "')"));
  }

  v1::LeadEvent e = Derive(FeedbackCause(s, f, at_ms), trigger, 0, config, now_ms,
                           StrCat(h.lead_id(), "/", h.cycle()));
  SetStageChange(&e, from, to);
  const v1::LeadQualified& q = s.qualified().qualified();
  switch (f.action_case()) {
    case v1::SalesFeedback::kAccept: {
      v1::LeadAccepted& m = *e.mutable_accepted();
      m.set_rep_id(f.rep_id());
      const int64_t handed = MillisFromTimestamp(h.handed_off_at());
      m.set_within_sla(!s.sla_breached() &&
                       (!h.has_sla_deadline() || at_ms <= MillisFromTimestamp(h.sla_deadline())));
      const int64_t waited = std::max<int64_t>(0, at_ms - handed);
      m.mutable_time_to_accept()->set_seconds(waited / 1000);
      m.mutable_time_to_accept()->set_nanos(static_cast<int32_t>(waited % 1000) * 1000000);
      m.set_feedback_id(f.idempotency_key());
      m.set_source_system(f.source_system());
      h.set_status(v1::HANDOFF_STATUS_ACCEPTED);
      h.set_owner_rep_id(f.rep_id());
      *h.mutable_accepted_at() = TimestampFromMillis(at_ms);
      break;
    }
    case v1::SalesFeedback::kReject: {
      v1::LeadRejected& m = *e.mutable_rejected();
      m.set_reason_code(f.reject().reason_code());
      m.mutable_reason()->set_code(ReasonCode(f.reject().reason_code()));
      m.mutable_reason()->set_text(f.reject().reason_text());
      m.set_rep_id(f.rep_id());
      m.set_feedback_id(f.idempotency_key());
      m.set_source_system(f.source_system());
      h.set_status(v1::HANDOFF_STATUS_REJECTED);
      break;
    }
    case v1::SalesFeedback::kConvert: {
      v1::LeadConverted& m = *e.mutable_converted();
      m.set_rep_id(f.rep_id());
      *m.mutable_criteria() = f.convert().criteria();
      m.set_feedback_id(f.idempotency_key());
      m.set_source_system(f.source_system());
      h.set_status(v1::HANDOFF_STATUS_CONVERTED);
      break;
    }
    case v1::SalesFeedback::kOpportunityOpened: {
      const v1::SalesFeedback::OpportunityOpened& o = f.opportunity_opened();
      v1::LeadOpportunityOpened& m = *e.mutable_opportunity_opened();
      m.set_opportunity_id(o.opportunity_id());
      m.set_rep_id(f.rep_id());
      *m.mutable_amount() = o.amount();
      *m.mutable_product_ids() = o.product_ids();
      if (o.has_expected_close_at()) *m.mutable_expected_close_at() = o.expected_close_at();
      m.set_feedback_id(f.idempotency_key());
      m.set_source_system(f.source_system());
      if (config.comp.has_value()) {
        *m.mutable_comp() = Annotate(*config.comp, config.comp_version, q.first_touch(),
                                     q.last_touch(), at_ms, /*opening=*/true, /*was_mql=*/true,
                                     {o.product_ids().begin(), o.product_ids().end()});
        *h.mutable_comp() = m.comp();
      }
      h.set_status(v1::HANDOFF_STATUS_OPPORTUNITY);
      h.set_opportunity_id(o.opportunity_id());
      *s.mutable_opportunity() = m;
      break;
    }
    case v1::SalesFeedback::kOpportunityClosed: {
      const v1::SalesFeedback::OpportunityClosed& c = f.opportunity_closed();
      v1::LeadOpportunityClosed& m = *e.mutable_opportunity_closed();
      m.set_opportunity_id(c.opportunity_id());
      m.set_outcome(c.outcome());
      *m.mutable_amount() = c.amount();
      *m.mutable_reason() = c.reason();
      m.set_competitor(c.competitor());
      *m.mutable_product_ids() =
          c.product_ids_size() > 0 ? c.product_ids() : s.opportunity().product_ids();
      m.set_rep_id(f.rep_id());
      m.set_feedback_id(f.idempotency_key());
      m.set_source_system(f.source_system());
      if (s.opportunity().has_comp()) {
        // Marketing-sourced as decided at the opening; accelerators for what was finally sold.
        *m.mutable_comp() = s.opportunity().comp();
        if (config.comp.has_value()) {
          const v1::CompAnnotation sold = Annotate(
              *config.comp, config.comp_version, q.first_touch(), q.last_touch(), at_ms,
              /*opening=*/true, /*was_mql=*/true, {m.product_ids().begin(), m.product_ids().end()});
          *m.mutable_comp()->mutable_accelerated_product_ids() = sold.accelerated_product_ids();
        }
      }
      h.set_status(to == v1::STAGE_WON ? v1::HANDOFF_STATUS_WON : v1::HANDOFF_STATUS_LOST);
      break;
    }
    case v1::SalesFeedback::ACTION_NOT_SET:
      break;
  }
  s.set_stage(to);
  v1::FeedbackRecord& r = *s.add_feedback();
  r.set_key(key);
  r.set_event_id(e.envelope().event_id());
  if (s.feedback_size() > kFeedbackKept) {
    s.mutable_feedback()->DeleteSubrange(0, s.feedback_size() - kFeedbackKept);
  }
  std::vector<v1::RoutingCommand> routing;
  Effects::Timer timer = Effects::Timer::kKeep;
  if (pending) {
    // The answer ends the wait: the SLA timer stops and the rep's capacity slot is free.
    routing.push_back(Release(s));
    timer = Effects::Timer::kCancel;
    h.clear_sla_deadline();
  }
  Effects applied = Put(std::move(s), config);
  applied.events.push_back(std::move(e));
  applied.routing = std::move(routing);
  applied.timer = timer;
  applied.outcome = v1::FEEDBACK_OUTCOME_APPLIED;
  return applied;
}

Effects OnSlaTimer(const v1::HandoffState& state, int64_t due_ms, const HandoffConfig& config,
                   int64_t now_ms) {
  const v1::Handoff& current = state.handoff();
  if (state.stage() != v1::STAGE_MQL || state.awaiting_route() || !current.has_sla_deadline() ||
      MillisFromTimestamp(current.sla_deadline()) != due_ms) {
    return {};  // answered or moved on since the timer was set
  }
  v1::HandoffState s = state;
  v1::Handoff& h = *s.mutable_handoff();
  const v1::EventEnvelope cause = TimerCause(s, due_ms);
  s.set_sla_breached(true);
  const Escalation step = config.sla.Escalate(s.escalation_steps(), s.reassignments(), due_ms);
  std::vector<v1::LeadEvent> events;
  std::vector<v1::RoutingCommand> routing;
  Effects::Timer timer = Effects::Timer::kCancel;
  int64_t timer_due = 0;
  if (step.kind == Escalation::Kind::kStep) {
    s.set_escalation_steps(s.escalation_steps() + 1);
    h.set_escalation_level(step.level);
    v1::LeadEvent e = Derive(cause, "escalated", step.level, config, now_ms);
    v1::LeadEscalated& m = *e.mutable_escalated();
    m.set_rep_id(h.owner_rep_id());
    m.set_level(step.level);
    *m.mutable_missed_deadline() = TimestampFromMillis(due_ms);
    *m.mutable_next_deadline() = TimestampFromMillis(step.next_deadline_ms);
    switch (step.step.action()) {
      case v1::ESCALATION_ACTION_NOTIFY_MANAGER: {
        const v1::Rep* owner = FindRep(config, h.owner_rep_id());
        m.set_escalated_to(owner != nullptr && !owner->manager_rep_id().empty()
                               ? owner->manager_rep_id()
                               : h.queue());
        break;
      }
      case v1::ESCALATION_ACTION_NOTIFY_QUEUE:
        m.set_escalated_to(step.step.queue());
        break;
      default:
        m.set_escalated_to(h.queue());
        break;
    }
    events.push_back(std::move(e));
    if (step.step.action() == v1::ESCALATION_ACTION_REASSIGN) {
      // Taken from its owner and routed again without the previous owners; LeadReassigned and
      // the new LeadHandedOff follow when routing answers.
      routing.push_back(Release(s));
      s.set_reassignments(s.reassignments() + 1);
      s.set_reassign_from_rep_id(h.owner_rep_id());
      s.set_reassign_deadline_ms(step.next_deadline_ms);
      h.set_attempt(h.attempt() + 1);
      h.clear_sla_deadline();
      s.set_awaiting_route(true);
      *s.mutable_handoff_cause() = cause;
      routing.push_back(Route(s));
    } else {
      *h.mutable_sla_deadline() = TimestampFromMillis(step.next_deadline_ms);
      timer = Effects::Timer::kSchedule;
      timer_due = step.next_deadline_ms;
    }
  } else if (config.sla_config.on_exhausted() == v1::SLA_EXHAUSTED_ACTION_QUEUE) {
    // To the team queue, without an owner and without a further deadline.
    routing.push_back(Release(s));
    const std::string from = h.owner_rep_id();
    s.set_escalation_steps(s.escalation_steps() + 1);
    h.set_attempt(h.attempt() + 1);
    *s.mutable_handoff_cause() = cause;
    events.push_back(Reassigned(cause, h.attempt(), from, "", config, now_ms));
    h.clear_owner_rep_id();
    h.clear_sla_deadline();
    *h.mutable_handed_off_at() = TimestampFromMillis(now_ms);
    h.mutable_routing()->set_method(v1::ROUTING_METHOD_MANUAL);
    h.mutable_routing()->set_explanation(
        StrCat("the SLA chain ran out; the lead waits in the ", h.queue(), " queue"));
    h.mutable_routing()->set_eligible_reps(0);
    events.push_back(HandedOff(s, config, now_ms));
  } else {
    routing.push_back(Release(s));
    v1::LeadEvent e = Derive(cause, "rejected", 0, config, now_ms);
    SetStageChange(&e, v1::STAGE_MQL, v1::STAGE_REJECTED);
    v1::LeadRejected& m = *e.mutable_rejected();
    m.set_reason_code(v1::REJECTION_REASON_SLA_EXPIRED);
    m.mutable_reason()->set_code("sla_expired");
    m.mutable_reason()->set_text(StrCat("no rep answered within the SLA after ",
                                        s.escalation_steps(), " escalation steps and ",
                                        s.reassignments(), " reassignments"));
    events.push_back(std::move(e));
    s.set_stage(v1::STAGE_REJECTED);
    h.set_status(v1::HANDOFF_STATUS_REJECTED);
    h.clear_sla_deadline();
  }
  Effects out = Put(std::move(s), config);
  out.events = std::move(events);
  out.routing = std::move(routing);
  out.timer = timer;
  out.timer_due_ms = timer_due;
  return out;
}

}  // namespace leadflow::handoff
