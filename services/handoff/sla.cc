#include "services/handoff/sla.h"

#include <algorithm>
#include <set>

#include "absl/time/civil_time.h"
#include "services/common/base/strings.h"

namespace leadflow::handoff {
namespace {

int64_t Millis(const google::protobuf::Duration& d) {
  return d.seconds() * 1000 + d.nanos() / 1'000'000;
}

// "HH:MM" → minutes after midnight, or -1.
int ParseClock(const std::string& text) {
  if (text.size() != 5 || text[2] != ':') return -1;
  for (size_t i : {0, 1, 3, 4}) {
    if (text[i] < '0' || text[i] > '9') return -1;
  }
  const int h = (text[0] - '0') * 10 + (text[1] - '0');
  const int m = (text[3] - '0') * 10 + (text[4] - '0');
  if (h > 23 || m > 59) return -1;
  return h * 60 + m;
}

int Weekday(absl::CivilDay day) {
  switch (absl::GetWeekday(day)) {
    case absl::Weekday::monday:
      return 1;
    case absl::Weekday::tuesday:
      return 2;
    case absl::Weekday::wednesday:
      return 3;
    case absl::Weekday::thursday:
      return 4;
    case absl::Weekday::friday:
      return 5;
    case absl::Weekday::saturday:
      return 6;
    case absl::Weekday::sunday:
      return 7;
  }
  return 0;
}

int64_t ToMillis(absl::Time t) { return absl::ToUnixMillis(t); }

}  // namespace

std::vector<config::ConfigViolation> ValidateSla(const v1::SlaConfig& sla) {
  std::vector<config::ConfigViolation> out;
  auto add = [&](std::string path, std::string why) {
    out.push_back({std::move(path), std::move(why)});
  };
  if (Millis(sla.accept_within()) <= 0) add("accept_within", "is required and positive");
  std::set<int> grades;
  for (int i = 0; i < sla.grade_overrides_size(); ++i) {
    const v1::GradeSla& g = sla.grade_overrides(i);
    const std::string at = StrCat("grade_overrides[", i, "]");
    if (g.grade() == v1::FIT_GRADE_UNSPECIFIED) {
      add(at + ".grade", "is required");
    } else if (!grades.insert(g.grade()).second) {
      add(at + ".grade", "is listed twice");
    }
    if (Millis(g.accept_within()) <= 0) add(at + ".accept_within", "is required and positive");
  }
  for (int i = 0; i < sla.escalation_chain_size(); ++i) {
    const v1::EscalationStep& s = sla.escalation_chain(i);
    const std::string at = StrCat("escalation_chain[", i, "]");
    if (s.action() == v1::ESCALATION_ACTION_UNSPECIFIED) add(at + ".action", "is required");
    if (s.action() == v1::ESCALATION_ACTION_NOTIFY_QUEUE && s.queue().empty()) {
      add(at + ".queue", "notify_queue needs the queue");
    }
    if (Millis(s.grace()) <= 0) add(at + ".grace", "is required and positive");
  }
  if (sla.max_reassignments() < 0) add("max_reassignments", "must not be negative");
  if (sla.has_business_hours()) {
    const v1::BusinessHours& b = sla.business_hours();
    absl::TimeZone zone;
    if (b.time_zone().empty() || !absl::LoadTimeZone(b.time_zone(), &zone)) {
      add("business_hours.time_zone",
          StrCat("'", b.time_zone(), "' is not a known IANA time zone (e.g. Europe/Berlin)"));
    }
    if (b.days_size() == 0) add("business_hours.days", "at least one working day (1 = Monday)");
    std::set<int> days;
    for (int i = 0; i < b.days_size(); ++i) {
      if (b.days(i) < 1 || b.days(i) > 7) {
        add(StrCat("business_hours.days[", i, "]"), "must be 1 (Monday) to 7 (Sunday)");
      } else if (!days.insert(b.days(i)).second) {
        add(StrCat("business_hours.days[", i, "]"), "is listed twice");
      }
    }
    const int open = ParseClock(b.open());
    const int close = ParseClock(b.close());
    if (open < 0) add("business_hours.open", "must be HH:MM");
    if (close < 0) add("business_hours.close", "must be HH:MM");
    if (open >= 0 && close >= 0 && open >= close) {
      add("business_hours.close", "must be after the opening time");
    }
  }
  return out;
}

absl::StatusOr<v1::SlaConfig> LoadSlaFile(const std::string& path) {
  v1::SlaConfig sla;
  if (absl::Status s = config::LoadValidatedYamlFile(path, &sla, [&] { return ValidateSla(sla); });
      !s.ok()) {
    return s;
  }
  return sla;
}

absl::StatusOr<Sla> Sla::Create(const v1::SlaConfig& config) {
  if (std::vector<config::ConfigViolation> v = ValidateSla(config); !v.empty()) {
    return absl::InvalidArgumentError(StrCat("sla: ", v.front().path, ": ", v.front().why));
  }
  Sla out;
  out.config_ = config;
  if (config.has_business_hours()) {
    const v1::BusinessHours& b = config.business_hours();
    out.business_hours_ = absl::LoadTimeZone(b.time_zone(), &out.zone_);
    for (int d : b.days()) out.days_[d] = true;
    out.open_minute_ = ParseClock(b.open());
    out.close_minute_ = ParseClock(b.close());
  }
  return out;
}

int64_t Sla::Add(int64_t from_ms, int64_t duration_ms) const {
  if (!business_hours_ || duration_ms <= 0) return from_ms + std::max<int64_t>(duration_ms, 0);
  int64_t t = from_ms;
  int64_t remaining = duration_ms;
  // Day by day through the working hours; ten years of days bound the walk (a config with
  // working days always ends it far earlier).
  for (int i = 0; i < 3660; ++i) {
    const absl::CivilDay day = absl::ToCivilDay(absl::FromUnixMillis(t), zone_);
    if (days_[Weekday(day)]) {
      const int64_t open =
          ToMillis(absl::FromCivil(absl::CivilMinute(day.year(), day.month(), day.day(),
                                                     open_minute_ / 60, open_minute_ % 60),
                                   zone_));
      const int64_t close =
          ToMillis(absl::FromCivil(absl::CivilMinute(day.year(), day.month(), day.day(),
                                                     close_minute_ / 60, close_minute_ % 60),
                                   zone_));
      if (t < close) {
        const int64_t start = std::max(t, open);
        if (remaining <= close - start) return start + remaining;
        remaining -= close - start;
      }
    }
    t = ToMillis(absl::FromCivil(day + 1, zone_));
  }
  return t + remaining;
}

int64_t Sla::Deadline(int64_t from_ms, v1::FitGrade grade) const {
  int64_t within = Millis(config_.accept_within());
  for (const v1::GradeSla& g : config_.grade_overrides()) {
    if (g.grade() == grade) within = Millis(g.accept_within());
  }
  return Add(from_ms, within);
}

Escalation Sla::Escalate(int steps_taken, int reassignments, int64_t missed_ms) const {
  Escalation out;
  if (steps_taken < 0 || steps_taken >= config_.escalation_chain_size()) return out;  // reject
  const v1::EscalationStep& step = config_.escalation_chain(steps_taken);
  if (step.action() == v1::ESCALATION_ACTION_REASSIGN &&
      reassignments >= config_.max_reassignments()) {
    return out;  // reject: no reassignment left
  }
  out.kind = Escalation::Kind::kStep;
  out.step = step;
  out.level = steps_taken + 1;
  out.next_deadline_ms = Add(missed_ms, Millis(step.grace()));
  return out;
}

}  // namespace leadflow::handoff
