#include "services/reporting/facts.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "services/common/events/lead_events.h"

namespace leadflow::reporting {
namespace {

using events::MillisFromTimestamp;

void Enter(v1::LeadCycleFacts* f, v1::Stage stage, int64_t at_ms) {
  if (stage == v1::STAGE_UNSPECIFIED) return;
  auto& entered = *f->mutable_entered_at_ms();
  auto it = entered.find(stage);
  if (it == entered.end()) {
    entered[stage] = at_ms;
  } else if (at_ms < it->second) {
    it->second = at_ms;  // events of several topics may arrive out of order
  }
  // The current stage is the latest entry, whatever order the topics' events arrive in.
  if (f->stage() == v1::STAGE_UNSPECIFIED || at_ms >= f->stage_since_ms()) {
    f->set_stage(stage);
    f->set_stage_since_ms(at_ms);
  }
}

void SetScore(v1::LeadCycleFacts* f, const v1::ScoreSnapshot& score) {
  f->set_fit_grade(score.fit_grade());
  f->set_fit_score(score.fit_score());
  f->set_engagement_score(score.engagement_score());
}

}  // namespace

std::string CycleKey(std::string_view lead_id, int cycle) {
  return absl::StrFormat("%s/%06d", absl::string_view(lead_id.data(), lead_id.size()), cycle);
}

int CycleOf(const v1::LeadEvent& event, int current) {
  if (event.has_nurture_released()) {
    // The release ends the previous cycle (and starts the next: Fold writes both rows).
    const int previous = event.nurture_released().previous_cycle();
    return previous > 0 ? previous : std::max(1, event.envelope().cycle() - 1);
  }
  if (event.envelope().cycle() > 0) return event.envelope().cycle();
  if (event.has_captured()) return 1;  // first sight, whatever was folded before it
  return std::max(1, current);
}

std::vector<v1::LeadCycleFacts> Fold(std::optional<v1::LeadCycleFacts> facts,
                                     const v1::LeadEvent& event) {
  const v1::EventEnvelope& env = event.envelope();
  const int64_t at = MillisFromTimestamp(env.occurred_at());
  v1::LeadCycleFacts f;
  if (facts.has_value()) {
    f = std::move(*facts);
  } else {
    f.set_lead_id(env.lead_id());
    f.set_cycle(CycleOf(event, 0));
    f.set_started_at_ms(at);
  }
  f.set_events(f.events() + 1);
  std::vector<v1::LeadCycleFacts> out;

  switch (event.event_case()) {
    case v1::LeadEvent::kCaptured:
      f.set_started_at_ms(std::min(f.started_at_ms(), at));
      *f.mutable_first_touch() = event.captured().first_touch();
      if (!f.has_last_touch()) *f.mutable_last_touch() = event.captured().first_touch();
      Enter(&f, v1::STAGE_INQUIRY, at);
      break;
    case v1::LeadEvent::kUpdated:
      if (event.updated().has_last_touch()) *f.mutable_last_touch() = event.updated().last_touch();
      break;
    case v1::LeadEvent::kScored:
      if (!f.entered_at_ms().contains(v1::STAGE_MQL)) SetScore(&f, event.scored().score());
      break;
    case v1::LeadEvent::kQualified: {
      const v1::LeadQualified& q = event.qualified();
      SetScore(&f, q.score());
      f.set_mql_basis(q.basis());
      if (q.has_first_touch()) *f.mutable_first_touch() = q.first_touch();
      if (q.has_last_touch()) *f.mutable_last_touch() = q.last_touch();
      if (!q.company().segment().empty()) f.set_segment(q.company().segment());
      f.set_industry(q.company().industry());
      f.set_employee_count(q.company().employee_count());
      f.set_country_code(q.company().country_code());
      f.set_seniority(q.person().seniority());
      f.set_department(q.person().department());
      break;
    }
    case v1::LeadEvent::kDisqualified:
      SetScore(&f, event.disqualified().score());
      break;
    case v1::LeadEvent::kHandedOff: {
      const v1::LeadHandedOff& h = event.handed_off();
      if (f.handed_off_at_ms() == 0) f.set_handed_off_at_ms(at);
      f.set_queue(h.queue());
      f.set_rep_id(h.owner_rep_id());
      if (!h.routing().territory().empty()) f.set_territory(h.routing().territory());
      if (!h.routing().segment().empty()) f.set_segment(h.routing().segment());
      f.set_sla_deadline_ms(h.has_sla_deadline() ? MillisFromTimestamp(h.sla_deadline()) : 0);
      if (h.has_comp()) f.set_marketing_sourced(h.comp().marketing_sourced());
      break;
    }
    case v1::LeadEvent::kAccepted:
      f.set_accepted_within_sla(event.accepted().within_sla());
      f.set_rep_id(event.accepted().rep_id());
      break;
    case v1::LeadEvent::kRejected:
      f.set_rejection_reason(event.rejected().reason_code());
      f.set_sla_expired(event.rejected().reason_code() == v1::REJECTION_REASON_SLA_EXPIRED);
      break;
    case v1::LeadEvent::kEscalated:
      f.set_escalations(f.escalations() + 1);
      break;
    case v1::LeadEvent::kReassigned:
      f.set_reassignments(f.reassignments() + 1);
      break;
    case v1::LeadEvent::kOpportunityOpened: {
      const v1::LeadOpportunityOpened& o = event.opportunity_opened();
      *f.mutable_amount() = o.amount();
      *f.mutable_product_ids() = o.product_ids();
      if (o.has_comp()) f.set_marketing_sourced(o.comp().marketing_sourced());
      break;
    }
    case v1::LeadEvent::kOpportunityClosed: {
      const v1::LeadOpportunityClosed& c = event.opportunity_closed();
      f.set_outcome(c.outcome());
      *f.mutable_outcome_reason() = c.reason();
      f.set_competitor(c.competitor());
      if (c.has_amount()) *f.mutable_amount() = c.amount();
      if (c.product_ids_size() > 0) *f.mutable_product_ids() = c.product_ids();
      if (c.has_comp()) f.set_marketing_sourced(c.comp().marketing_sourced());
      break;
    }
    case v1::LeadEvent::kRecycled:
      f.set_recycled(true);
      if (f.recycled_at_ms() == 0) f.set_recycled_at_ms(at);
      f.set_recycle_reason(event.recycled().reason_code());
      f.set_nurture_track_id(event.recycled().nurture_track_id());
      break;
    case v1::LeadEvent::kArchived:
      f.set_archived(true);
      break;
    case v1::LeadEvent::kNurtureReleased: {
      // The previous cycle ends in nurture; the next starts at INQUIRY with the same attribution.
      v1::LeadCycleFacts next;
      next.set_lead_id(f.lead_id());
      next.set_cycle(env.cycle() > 0 ? env.cycle() : f.cycle() + 1);
      next.set_started_at_ms(at);
      if (f.has_first_touch()) *next.mutable_first_touch() = f.first_touch();
      if (f.has_last_touch()) *next.mutable_last_touch() = f.last_touch();
      next.set_events(1);
      Enter(&next, v1::STAGE_INQUIRY, at);
      out.push_back(std::move(f));
      out.push_back(std::move(next));
      return out;
    }
    default:
      break;
  }
  if (env.has_stage_change()) Enter(&f, env.stage_change().to_stage(), at);
  out.push_back(std::move(f));
  return out;
}

v1::LeadCycleFacts MergeStart(v1::LeadCycleFacts existing, const v1::LeadCycleFacts& start) {
  existing.set_started_at_ms(start.started_at_ms());
  if (!existing.has_first_touch() && start.has_first_touch()) {
    *existing.mutable_first_touch() = start.first_touch();
  }
  if (!existing.has_last_touch() && start.has_last_touch()) {
    *existing.mutable_last_touch() = start.last_touch();
  }
  existing.set_events(existing.events() + start.events());
  for (const auto& [stage, at] : start.entered_at_ms()) {
    Enter(&existing, static_cast<v1::Stage>(stage), at);
  }
  return existing;
}

}  // namespace leadflow::reporting
