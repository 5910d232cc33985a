#include "services/recycle/machine.h"

#include <algorithm>

#include "services/common/base/strings.h"
#include "services/common/base/words.h"
#include "services/common/events/lead_events.h"
#include "services/common/lifecycle/stage_model.h"
#include "services/recycle/nurture.h"

namespace leadflow::recycle {
namespace {

using events::MillisFromTimestamp;
using events::TimestampFromMillis;

constexpr int kCommandsKept = 16;

int64_t Millis(const google::protobuf::Duration& d) {
  return d.seconds() * 1000 + d.nanos() / 1000000;
}

google::protobuf::Duration DurationOf(int64_t ms) {
  google::protobuf::Duration d;
  d.set_seconds(ms / 1000);
  d.set_nanos(static_cast<int32_t>(ms % 1000) * 1000000);
  return d;
}

std::string StageName(v1::Stage s) {
  return s == v1::STAGE_UNSPECIFIED ? "unknown" : v1::Stage_Name(s).substr(6);
}

v1::Reason MakeReason(std::string code, std::string text) {
  v1::Reason r;
  r.set_code(std::move(code));
  r.set_text(std::move(text));
  return r;
}

// An event of `kind` caused by `cause`, in the lead's current cycle, stamped with the config.
v1::LeadEvent Derive(const v1::EventEnvelope& cause, std::string_view kind,
                     const v1::RecycleState& s, const RecycleConfig& config, int64_t now_ms,
                     int64_t sub_index = 0) {
  v1::LeadEvent wrapper;
  *wrapper.mutable_envelope() = cause;
  v1::LeadEvent e = events::DeriveEvent(wrapper, kind, v1::SERVICE_NAME_RECYCLE, now_ms, sub_index);
  e.mutable_envelope()->set_lead_id(s.lead_id());
  e.mutable_envelope()->set_cycle(std::max(1, s.cycle()));
  e.mutable_envelope()->set_config_version(config.version);
  return e;
}

void SetStageChange(v1::LeadEvent* e, v1::Stage from, v1::Stage to) {
  e->mutable_envelope()->mutable_stage_change()->set_from_stage(from);
  e->mutable_envelope()->mutable_stage_change()->set_to_stage(to);
}

v1::EventEnvelope SyntheticCause(const v1::RecycleState& s, std::string id, int64_t at_ms) {
  v1::EventEnvelope env;
  env.set_event_id(std::move(id));
  env.set_lead_id(s.lead_id());
  *env.mutable_occurred_at() = TimestampFromMillis(at_ms);
  env.set_correlation_id(s.recycled_event().correlation_id().empty()
                             ? env.event_id()
                             : s.recycled_event().correlation_id());
  env.set_trace_parent(s.recycled_event().trace_parent());
  env.set_cycle(s.cycle());
  return env;
}

// The next timer of a nurture period: the re-check or, sooner, the end of the maximum stay.
int64_t NextNurtureDue(const v1::RecycleState& s) {
  return s.expires_at_ms() > 0 ? std::min(s.recheck_at_ms(), s.expires_at_ms()) : s.recheck_at_ms();
}

v1::Lead LeadOf(const v1::RecycleState& s) {
  v1::Lead lead;
  lead.set_lead_id(s.lead_id());
  *lead.mutable_person() = s.person();
  *lead.mutable_company() = s.company();
  *lead.mutable_score() = s.score();
  lead.set_stage(s.stage());
  lead.set_cycle(s.cycle());
  return lead;
}

class Machine {
 public:
  Machine(v1::RecycleState state, const RecycleConfig& config, int64_t now_ms)
      : s_(std::move(state)), config_(config), now_(now_ms) {}

  // Archives the lead, when the stage model lets it go to ARCHIVED from its stage.
  bool Archive(const v1::EventEnvelope& cause, v1::ArchiveReason code, v1::Reason why) {
    if (!lifecycle::TransitionAllowed(config_.stages, s_.stage(), v1::STAGE_ARCHIVED, "archived")) {
      return false;
    }
    v1::LeadEvent e = Derive(cause, "archived", s_, config_, now_);
    SetStageChange(&e, s_.stage(), v1::STAGE_ARCHIVED);
    v1::LeadArchived& a = *e.mutable_archived();
    a.set_reason_code(code);
    *a.mutable_reason() = std::move(why);
    a.set_recycle_count(s_.recycle_count());
    out_.events.push_back(std::move(e));
    s_.set_stage(v1::STAGE_ARCHIVED);
    out_.timers.push_back({NurtureTimerKey(s_.lead_id()), std::nullopt});
    changed_ = true;
    return true;
  }

  // Recycles the lead into a track (or archives it). Returns why not, when the stage model does
  // not let it go to NURTURE from its stage.
  std::string Recycle(const v1::EventEnvelope& cause, const RecycleInput& input, v1::Reason reason,
                      const std::string& rep_id, const v1::NurtureTrack* forced_track) {
    if (!lifecycle::TransitionAllowed(config_.stages, s_.stage(), v1::STAGE_NURTURE, "recycled")) {
      return StrCat("recycle: not allowed while the lead is ", StageName(s_.stage()), " (cycle ",
                    s_.cycle(), ")");
    }
    if (s_.recycle_count() >= config_.nurture.recycle_limit()) {
      const std::string why =
          StrCat("recycled ", s_.recycle_count(), " times already; the limit is ",
                 config_.nurture.recycle_limit());
      if (Archive(cause, v1::ARCHIVE_REASON_RECYCLE_LIMIT,
                  MakeReason("nurture.recycle_limit", why))) {
        return "";
      }
      return StrCat("recycle: ", why, ", and a ", StageName(s_.stage()),
                    " lead cannot be archived under the stage model");
    }
    const v1::Lead lead = LeadOf(s_);
    RecycleInput in = input;
    in.lead = &lead;
    TrackChoice choice = ChooseTrack(config_.nurture, in);
    if (forced_track != nullptr) {
      choice.track = forced_track;
      choice.why = MakeReason("nurture.manual_track", StrCat("track ", forced_track->track_id(),
                                                             " chosen by the operator"));
    }
    if (choice.track == nullptr) {
      const std::string why = choice.why.text();
      if (Archive(cause, v1::ARCHIVE_REASON_NOT_NURTURABLE, std::move(choice.why))) return "";
      return StrCat("recycle: ", why);
    }
    const v1::NurtureTrack& t = *choice.track;
    const v1::Stage from = s_.stage();
    s_.set_recycle_count(s_.recycle_count() + 1);
    s_.set_nurture_track_id(t.track_id());
    s_.set_reason_code(input.reason);
    *s_.mutable_reason() = reason;
    s_.set_rejection_reason(input.rejection);
    s_.set_rep_id(rep_id);
    s_.set_recycled_at_ms(now_);
    s_.set_recheck_at_ms(now_ + Millis(t.recheck_interval()));
    s_.set_expires_at_ms(Millis(t.max_duration()) > 0 ? now_ + Millis(t.max_duration()) : 0);
    s_.set_scores_reset(false);
    s_.set_engagement_score(0);
    s_.set_engagements(0);
    s_.set_stage(v1::STAGE_NURTURE);

    v1::LeadEvent e = Derive(cause, "recycled", s_, config_, now_);
    SetStageChange(&e, from, v1::STAGE_NURTURE);
    v1::LeadRecycled& r = *e.mutable_recycled();
    r.set_reason_code(input.reason);
    *r.mutable_reason() = std::move(reason);
    if (r.reason().text().empty()) r.mutable_reason()->set_text(choice.why.text());
    r.set_rejection_reason(input.rejection);
    r.set_nurture_track_id(t.track_id());
    *r.mutable_cadence() = t.cadence();
    *r.mutable_recheck_at() = TimestampFromMillis(s_.recheck_at_ms());
    r.set_recycle_count(s_.recycle_count());
    r.set_rep_id(rep_id);
    *r.mutable_person() = s_.person();
    *r.mutable_company() = s_.company();
    *r.mutable_consent() = s_.consent();
    *s_.mutable_recycled_event() = e.envelope();
    out_.events.push_back(std::move(e));
    out_.timers.push_back({InquiryTimerKey(s_.lead_id()), std::nullopt});
    out_.timers.push_back({NurtureTimerKey(s_.lead_id()), NextNurtureDue(s_)});
    changed_ = true;
    return "";
  }

  // Releases the lead into a new cycle. Returns why not.
  std::string Release(const v1::EventEnvelope& cause, v1::ReleaseTrigger trigger,
                      const v1::Engagement* engagement) {
    if (!lifecycle::TransitionAllowed(config_.stages, s_.stage(), v1::STAGE_INQUIRY,
                                      "nurture_released")) {
      return StrCat("release: not allowed while the lead is ", StageName(s_.stage()),
                    " (the stage model releases only from ",
                    s_.stage() == v1::STAGE_ARCHIVED ? "NURTURE; ARCHIVED is terminal" : "NURTURE",
                    ")");
    }
    const int previous = std::max(1, s_.cycle());
    const v1::Stage from = s_.stage();
    v1::LeadEvent e = Derive(cause, "nurture_released", s_, config_, now_);
    e.mutable_envelope()->set_cycle(previous + 1);
    SetStageChange(&e, from, v1::STAGE_INQUIRY);
    v1::LeadNurtureReleased& r = *e.mutable_nurture_released();
    r.set_trigger(trigger);
    r.set_nurture_track_id(s_.nurture_track_id());
    r.set_previous_cycle(previous);
    if (engagement != nullptr) *r.mutable_engagement() = *engagement;
    r.set_engagement_score(s_.engagement_score());
    *r.mutable_time_in_nurture() = DurationOf(std::max<int64_t>(0, now_ - s_.recycled_at_ms()));
    out_.events.push_back(std::move(e));
    s_.set_cycle(previous + 1);
    s_.set_stage(v1::STAGE_INQUIRY);
    out_.timers.push_back({NurtureTimerKey(s_.lead_id()), std::nullopt});
    ScheduleInquiry();
    changed_ = true;
    return "";
  }

  // The INQUIRY stage SLA: a lead that does not reach MQL in time is recycled as NOT_READY.
  void ScheduleInquiry() {
    const v1::StageDefinition* inquiry = lifecycle::FindStage(config_.stages, v1::STAGE_INQUIRY);
    if (inquiry == nullptr || !inquiry->recycle_on_breach() || Millis(inquiry->sla()) <= 0) return;
    out_.timers.push_back({InquiryTimerKey(s_.lead_id()), now_ + Millis(inquiry->sla())});
  }

  bool ThresholdsMet() const {
    const v1::NurtureTrack* t = FindTrack(config_.nurture, s_.nurture_track_id());
    if (t == nullptr) return false;
    const v1::ReleaseThresholds& r = t->release();
    return (r.min_engagement_score() > 0 && s_.engagement_score() >= r.min_engagement_score()) ||
           (r.min_engagements() > 0 && s_.engagements() >= r.min_engagements());
  }

  bool ReleasesAtOnce(v1::EngagementType type) const {
    const v1::NurtureTrack* t = FindTrack(config_.nurture, s_.nurture_track_id());
    return t != nullptr &&
           std::find(t->release().release_on().begin(), t->release().release_on().end(), type) !=
               t->release().release_on().end();
  }

  // An event or timer asked for a step the stage model does not allow from the lead's stage:
  // nothing happens, and the processor logs and counts why (never silently).
  void NotDone(std::string why) {
    if (!why.empty()) out_.not_done.push_back(std::move(why));
  }

  void Touch() { changed_ = true; }
  v1::RecycleState& state() { return s_; }
  Effects& effects() { return out_; }
  int64_t now() const { return now_; }

  Effects Finish() {
    if (changed_) {
      out_.store = Effects::Store::kPut;
      out_.state = std::move(s_);
    }
    return std::move(out_);
  }

 private:
  v1::RecycleState s_;
  const RecycleConfig& config_;
  int64_t now_;
  Effects out_;
  bool changed_ = false;
};

// The profile as the latest event carries it (an event without one keeps what is known).
void SetProfile(v1::RecycleState* s, const v1::Person& p, const v1::Company& c) {
  if (p.ByteSizeLong() > 0) *s->mutable_person() = p;
  if (c.ByteSizeLong() > 0) *s->mutable_company() = c;
}

}  // namespace

std::string NurtureTimerKey(std::string_view lead_id) { return StrCat("nurture/", lead_id); }
std::string InquiryTimerKey(std::string_view lead_id) { return StrCat("inquiry/", lead_id); }

Effects OnEvent(std::optional<v1::RecycleState> state, const v1::LeadEvent& event,
                const RecycleConfig& config, int64_t now_ms) {
  const v1::EventEnvelope& env = event.envelope();
  if (event.has_erased()) {
    Effects out;
    if (state.has_value()) {
      out.store = Effects::Store::kDelete;
      out.timers.push_back({NurtureTimerKey(env.lead_id()), std::nullopt});
      out.timers.push_back({InquiryTimerKey(env.lead_id()), std::nullopt});
    }
    return out;
  }
  v1::RecycleState initial;
  if (state.has_value()) {
    initial = std::move(*state);
  } else {
    initial.set_lead_id(env.lead_id());
    initial.set_cycle(std::max(1, env.cycle()));
    initial.set_stage(v1::STAGE_INQUIRY);
  }
  // An event of an older cycle than the one recycle is in changes nothing (late or replayed).
  if (env.cycle() > 0 && env.cycle() < initial.cycle()) return {};
  // A lead recycle holds in nurture or archived has left sales and qualification for this cycle:
  // their late events of the same cycle (e.g. the SLA expiry of a handoff an operator recycled
  // away) change nothing — the next cycle starts with the release.
  const bool left = initial.stage() == v1::STAGE_NURTURE || initial.stage() == v1::STAGE_ARCHIVED;
  const bool sales_or_gate = event.has_handed_off() || event.has_accepted() ||
                             event.has_converted() || event.has_opportunity_opened() ||
                             event.has_rejected() || event.has_opportunity_closed() ||
                             event.has_qualified() || event.has_disqualified();
  if (left && sales_or_gate && (env.cycle() == 0 || env.cycle() == initial.cycle())) return {};
  Machine m(std::move(initial), config, now_ms);
  v1::RecycleState& s = m.state();
  if (env.cycle() > s.cycle()) s.set_cycle(env.cycle());
  s.set_updated_at_ms(std::max(s.updated_at_ms(), MillisFromTimestamp(env.occurred_at())));
  m.Touch();
  switch (event.event_case()) {
    case v1::LeadEvent::kCaptured:
      SetProfile(&s, event.captured().person(), event.captured().company());
      *s.mutable_consent() = event.captured().consent();
      if (s.stage() == v1::STAGE_INQUIRY) m.ScheduleInquiry();
      break;
    case v1::LeadEvent::kUpdated:
      SetProfile(&s, event.updated().person(), event.updated().company());
      *s.mutable_consent() = event.updated().consent();
      break;
    case v1::LeadEvent::kEngagementRecorded: {
      const v1::Engagement& en = event.engagement_recorded().engagement();
      if (s.stage() != v1::STAGE_NURTURE) break;
      s.set_engagements(s.engagements() + 1);
      if (m.ReleasesAtOnce(en.type()) || m.ThresholdsMet()) {
        m.NotDone(m.Release(env, v1::RELEASE_TRIGGER_RE_ENGAGEMENT, &en));
      }
      break;
    }
    case v1::LeadEvent::kScored: {
      const v1::LeadScored& sc = event.scored();
      *s.mutable_score() = sc.score();
      if (s.stage() != v1::STAGE_NURTURE) break;
      if (sc.trigger() == v1::SCORE_TRIGGER_RECYCLED) {
        s.set_scores_reset(true);  // from here on its engagement counts since the recycle
        s.set_engagement_score(0);
        break;
      }
      if (!s.scores_reset()) break;
      s.set_engagement_score(sc.score().engagement_score());
      if (m.ThresholdsMet()) m.NotDone(m.Release(env, v1::RELEASE_TRIGGER_RE_ENGAGEMENT, nullptr));
      break;
    }
    case v1::LeadEvent::kQualified:
      SetProfile(&s, event.qualified().person(), event.qualified().company());
      *s.mutable_consent() = event.qualified().consent();
      *s.mutable_score() = event.qualified().score();
      s.set_stage(v1::STAGE_MQL);
      m.effects().timers.push_back({InquiryTimerKey(s.lead_id()), std::nullopt});
      break;
    case v1::LeadEvent::kDisqualified: {
      const v1::LeadDisqualified& d = event.disqualified();
      *s.mutable_score() = d.score();
      s.set_stage(v1::STAGE_DISQUALIFIED);
      m.effects().timers.push_back({InquiryTimerKey(s.lead_id()), std::nullopt});
      if (!d.nurture_allowed()) {
        if (!m.Archive(env, v1::ARCHIVE_REASON_NOT_NURTURABLE,
                       MakeReason("nurture.not_nurturable",
                                  StrCat("disqualified (", d.reason().text(),
                                         "): the nurture config does not nurture this reason")))) {
          m.NotDone(StrCat("archive: not allowed while the lead is ", StageName(s.stage())));
        }
        break;
      }
      RecycleInput in;
      in.reason = v1::RECYCLE_REASON_DISQUALIFIED;
      in.disqualification = d.reason_code();
      m.NotDone(m.Recycle(env, in, d.reason(), "", nullptr));
      break;
    }
    case v1::LeadEvent::kHandedOff:
      s.set_stage(v1::STAGE_MQL);
      break;
    case v1::LeadEvent::kAccepted:
      s.set_stage(v1::STAGE_SAL);
      break;
    case v1::LeadEvent::kConverted:
      s.set_stage(v1::STAGE_SQL);
      break;
    case v1::LeadEvent::kOpportunityOpened:
      s.set_stage(v1::STAGE_OPPORTUNITY);
      break;
    case v1::LeadEvent::kRejected: {
      const v1::LeadRejected& r = event.rejected();
      s.set_stage(v1::STAGE_REJECTED);
      RecycleInput in;
      in.reason = v1::RECYCLE_REASON_REJECTED;
      in.rejection = r.reason_code();
      m.NotDone(m.Recycle(env, in, r.reason(), r.rep_id(), nullptr));
      break;
    }
    case v1::LeadEvent::kOpportunityClosed: {
      const v1::LeadOpportunityClosed& c = event.opportunity_closed();
      if (c.outcome() == v1::OPPORTUNITY_OUTCOME_WON) {
        s.set_stage(v1::STAGE_WON);
        break;
      }
      s.set_stage(v1::STAGE_LOST);
      RecycleInput in;
      in.reason = v1::RECYCLE_REASON_LOST;
      in.loss_reason_code = c.reason().code();
      m.NotDone(m.Recycle(env, in, c.reason(), c.rep_id(), nullptr));
      break;
    }
    default:
      break;  // the rest changes nothing recycle keeps
  }
  return m.Finish();
}

Effects OnCommand(std::optional<v1::RecycleState> state, const v1::RecycleCommand& command,
                  const RecycleConfig& config, int64_t now_ms) {
  Effects out;
  if (!state.has_value()) {
    out.refusal = v1::DEAD_LETTER_REASON_UNKNOWN_LEAD;
    out.detail = "lead_id: recycle has never seen this lead";
    return out;
  }
  for (const v1::FeedbackRecord& r : state->commands()) {
    if (r.key() != command.request_id()) continue;
    if (r.refused()) {
      out.refusal = r.refusal_reason();
      out.detail = r.detail();
    } else {
      out.duplicate = true;
    }
    return out;
  }
  Machine m(std::move(*state), config, now_ms);
  v1::RecycleState& s = m.state();
  // Request ids are unique per caller, not per lead: the cause is scoped by lead and cycle so two
  // leads' requests never derive the same event id.
  v1::EventEnvelope cause = SyntheticCause(
      s, StrCat("ops:", command.request_id(), "@", s.lead_id(), "/", s.cycle()), now_ms);
  cause.set_correlation_id(cause.event_id());
  std::string refused;
  if (command.has_release()) {
    refused = s.stage() == v1::STAGE_NURTURE ? m.Release(cause, v1::RELEASE_TRIGGER_MANUAL, nullptr)
                                             : StrCat("release: the lead is not in nurture (it is ",
                                                      StageName(s.stage()), ")");
  } else if (command.has_recycle()) {
    const v1::NurtureTrack* track = nullptr;
    if (!command.recycle().nurture_track_id().empty()) {
      track = FindTrack(config.nurture, command.recycle().nurture_track_id());
      if (track == nullptr) {
        refused =
            StrCat("nurture_track_id: '", command.recycle().nurture_track_id(), "' is not a track");
      }
    }
    if (refused.empty()) {
      RecycleInput in;
      in.reason = v1::RECYCLE_REASON_MANUAL;
      refused = m.Recycle(cause, in, MakeReason("manual", command.reason()), "", track);
    }
  } else {
    out.refusal = v1::DEAD_LETTER_REASON_UNSUPPORTED;
    out.detail = "command: none that this version knows";
    return out;
  }
  v1::FeedbackRecord& r = *s.add_commands();
  r.set_key(command.request_id());
  if (!refused.empty()) {
    r.set_refused(true);
    r.set_detail(refused);
    r.set_refusal_reason(v1::DEAD_LETTER_REASON_INVALID_TRANSITION);
    m.effects().refusal = v1::DEAD_LETTER_REASON_INVALID_TRANSITION;
    m.effects().detail = refused;
  } else if (!m.effects().events.empty()) {
    r.set_event_id(m.effects().events.back().envelope().event_id());
  }
  if (s.commands_size() > kCommandsKept) {
    s.mutable_commands()->DeleteSubrange(0, s.commands_size() - kCommandsKept);
  }
  m.Touch();
  return m.Finish();
}

Effects OnTimer(const v1::RecycleState& state, std::string_view key, int64_t due_ms,
                const RecycleConfig& config, int64_t now_ms) {
  Machine m(state, config, now_ms);
  v1::RecycleState& s = m.state();
  if (key == InquiryTimerKey(s.lead_id())) {
    if (s.stage() != v1::STAGE_INQUIRY) return {};
    const v1::EventEnvelope cause =
        SyntheticCause(s, StrCat("timer:", key, "/", s.cycle(), "/", due_ms), due_ms);
    RecycleInput in;
    in.reason = v1::RECYCLE_REASON_NOT_READY;
    m.NotDone(m.Recycle(cause, in,
                        MakeReason("not_ready",
                                   "did not become a marketing qualified lead within the "
                                   "INQUIRY stage's time"),
                        "", nullptr));
    return m.Finish();
  }
  if (key != NurtureTimerKey(s.lead_id()) || s.stage() != v1::STAGE_NURTURE ||
      due_ms != NextNurtureDue(s)) {
    return {};  // moved on since the timer was set
  }
  const v1::EventEnvelope cause =
      SyntheticCause(s, StrCat("timer:", key, "/", s.recycle_count(), "/", due_ms), due_ms);
  if (m.ThresholdsMet()) {
    m.NotDone(m.Release(cause, v1::RELEASE_TRIGGER_RECHECK, nullptr));
  } else if (s.expires_at_ms() > 0 && due_ms >= s.expires_at_ms()) {
    const v1::NurtureTrack* t = FindTrack(config.nurture, s.nurture_track_id());
    const bool archived = m.Archive(
        cause, v1::ARCHIVE_REASON_NURTURE_EXPIRED,
        MakeReason(
            "nurture.expired",
            StrCat("no release within the ", s.nurture_track_id(), " track's ",
                   FormatNumber(t == nullptr
                                    ? 0.0
                                    : static_cast<double>(Millis(t->max_duration())) / 86'400'000.0,
                                1),
                   " days")));
    if (!archived) m.NotDone("archive: not allowed while the lead is NURTURE");
  } else {
    const v1::NurtureTrack* t = FindTrack(config.nurture, s.nurture_track_id());
    const int64_t interval = t == nullptr ? 86'400'000 : Millis(t->recheck_interval());
    s.set_recheck_at_ms(due_ms + std::max<int64_t>(interval, 1000));
    m.effects().timers.push_back({NurtureTimerKey(s.lead_id()), NextNurtureDue(s)});
    m.Touch();
  }
  return m.Finish();
}

v1::NurtureStatus StatusOf(const v1::RecycleState& s, const RecycleConfig& config, int64_t now_ms) {
  v1::NurtureStatus out;
  out.set_lead_id(s.lead_id());
  out.set_cycle(s.cycle());
  out.set_stage(s.stage());
  out.set_nurture_track_id(s.nurture_track_id());
  out.set_reason_code(s.reason_code());
  if (s.recycled_at_ms() > 0) *out.mutable_recycled_at() = TimestampFromMillis(s.recycled_at_ms());
  if (s.stage() == v1::STAGE_NURTURE) {
    *out.mutable_recheck_at() = TimestampFromMillis(s.recheck_at_ms());
    *out.mutable_time_in_nurture() = DurationOf(std::max<int64_t>(0, now_ms - s.recycled_at_ms()));
  }
  out.set_recycle_count(s.recycle_count());
  out.set_recycles_remaining(std::max(0, config.nurture.recycle_limit() - s.recycle_count()));
  out.set_engagement_score(s.engagement_score());
  out.set_engagements(s.engagements());
  return out;
}

}  // namespace leadflow::recycle
