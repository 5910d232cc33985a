// The acceptance SLA with values and an injected time: deadlines per grade, business hours across
// evenings and weekends in a real time zone, the escalation chain, validation.
#include "services/handoff/sla.h"

#include "absl/time/civil_time.h"
#include "gtest/gtest.h"
#include "services/common/config/proto_yaml.h"
#include "services/common/config/yaml_file.h"

namespace leadflow::handoff {
namespace {

v1::SlaConfig Parse(const std::string& yaml) {
  auto node = config::ParseYaml(yaml, "sla.yaml");
  EXPECT_TRUE(node.ok()) << node.status();
  v1::SlaConfig out;
  const absl::Status s = config::YamlToProto(*node, "sla.yaml", &out);
  EXPECT_TRUE(s.ok()) << s;
  return out;
}

// Berlin local time as Unix milliseconds.
int64_t Berlin(int y, int mo, int d, int h, int mi) {
  absl::TimeZone tz;
  EXPECT_TRUE(absl::LoadTimeZone("Europe/Berlin", &tz));
  return absl::ToUnixMillis(absl::FromCivil(absl::CivilMinute(y, mo, d, h, mi), tz));
}

constexpr int64_t kHour = 3'600'000;

const char* kConfig = R"(
accept_within: 8h
grade_overrides:
  - {grade: a, accept_within: 1h}
  - {grade: b, accept_within: 4h}
escalation_chain:
  - {action: notify_manager, grace: 30m}
  - {action: reassign, grace: 1h}
  - {action: reassign, grace: 1h}
max_reassignments: 1
business_hours: {time_zone: Europe/Berlin, days: [1, 2, 3, 4, 5], open: "09:00", close: "17:00"}
)";

TEST(SlaTest, DeadlinesPerGradeCountOnlyBusinessHours) {
  auto sla = Sla::Create(Parse(kConfig));
  ASSERT_TRUE(sla.ok()) << sla.status();
  // 2026-11-27 is a Friday.
  struct Case {
    const char* name;
    int64_t from;
    v1::FitGrade grade;
    int64_t deadline;
  };
  const Case cases[] = {
      {"A, mid-morning", Berlin(2026, 11, 27, 10, 0), v1::FIT_GRADE_A, Berlin(2026, 11, 27, 11, 0)},
      {"A, Friday 16:30 → Monday", Berlin(2026, 11, 27, 16, 30), v1::FIT_GRADE_A,
       Berlin(2026, 11, 30, 9, 30)},
      {"A, Saturday → Monday", Berlin(2026, 11, 28, 10, 0), v1::FIT_GRADE_A,
       Berlin(2026, 11, 30, 10, 0)},
      {"A, before opening", Berlin(2026, 11, 27, 7, 0), v1::FIT_GRADE_A,
       Berlin(2026, 11, 27, 10, 0)},
      {"B, 4h from 15:00 → Monday 11:00", Berlin(2026, 11, 27, 15, 0), v1::FIT_GRADE_B,
       Berlin(2026, 11, 30, 11, 0)},
      {"C (default 8h), a full day", Berlin(2026, 11, 26, 9, 0), v1::FIT_GRADE_C,
       Berlin(2026, 11, 26, 17, 0)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(sla->Deadline(c.from, c.grade), c.deadline);
  }
  // Across the change to summer time (2027-03-28, Sunday): Friday 16:30 + 1h = Monday 09:30 local.
  EXPECT_EQ(sla->Deadline(Berlin(2027, 3, 26, 16, 30), v1::FIT_GRADE_A),
            Berlin(2027, 3, 29, 9, 30));
}

TEST(SlaTest, WithoutBusinessHoursTimeIsWallTime) {
  v1::SlaConfig config = Parse(kConfig);
  config.clear_business_hours();
  auto sla = Sla::Create(config);
  ASSERT_TRUE(sla.ok()) << sla.status();
  const int64_t from = Berlin(2026, 11, 27, 16, 30);
  EXPECT_EQ(sla->Deadline(from, v1::FIT_GRADE_A), from + kHour);
  EXPECT_EQ(sla->Deadline(from, v1::FIT_GRADE_D), from + 8 * kHour);
}

TEST(SlaTest, TheEscalationChainRunsThenRejects) {
  auto sla = Sla::Create(Parse(kConfig));
  ASSERT_TRUE(sla.ok()) << sla.status();
  const int64_t missed = Berlin(2026, 11, 27, 11, 0);
  Escalation e = sla->Escalate(0, 0, missed);
  ASSERT_EQ(e.kind, Escalation::Kind::kStep);
  EXPECT_EQ(e.level, 1);
  EXPECT_EQ(e.step.action(), v1::ESCALATION_ACTION_NOTIFY_MANAGER);
  EXPECT_EQ(e.next_deadline_ms, Berlin(2026, 11, 27, 11, 30));
  e = sla->Escalate(1, 0, e.next_deadline_ms);
  ASSERT_EQ(e.kind, Escalation::Kind::kStep);
  EXPECT_EQ(e.step.action(), v1::ESCALATION_ACTION_REASSIGN);
  EXPECT_EQ(e.next_deadline_ms, Berlin(2026, 11, 27, 12, 30));
  // The second reassignment would exceed max_reassignments (1): reject as SLA expired.
  EXPECT_EQ(sla->Escalate(2, 1, e.next_deadline_ms).kind, Escalation::Kind::kReject);
  // The end of the chain rejects too.
  EXPECT_EQ(sla->Escalate(3, 0, missed).kind, Escalation::Kind::kReject);
  // Grace periods count business hours as well: 16:45 + 30 min = Monday 09:15.
  EXPECT_EQ(sla->Escalate(0, 0, Berlin(2026, 11, 27, 16, 45)).next_deadline_ms,
            Berlin(2026, 11, 30, 9, 15));
}

TEST(SlaTest, ValidationNamesEveryProblem) {
  const v1::SlaConfig bad = Parse(R"(
grade_overrides: [{grade: a, accept_within: 1h}, {grade: a, accept_within: 0s}]
escalation_chain: [{action: notify_queue}]
max_reassignments: -1
business_hours: {time_zone: Mars/Olympus, days: [0, 1, 1], open: "9:00", close: "08:00"}
)");
  std::vector<std::string> paths;
  for (const config::ConfigViolation& v : ValidateSla(bad)) paths.push_back(v.path);
  for (const char* expected :
       {"accept_within", "grade_overrides[1].grade", "grade_overrides[1].accept_within",
        "escalation_chain[0].queue", "escalation_chain[0].grace", "max_reassignments",
        "business_hours.time_zone", "business_hours.days[0]", "business_hours.days[2]",
        "business_hours.open"}) {
    EXPECT_NE(std::find(paths.begin(), paths.end(), expected), paths.end()) << expected;
  }
}

TEST(SlaTest, TheShippedConfigIsValid) {
  auto sla = LoadSlaFile(std::string(LEADFLOW_CONFIG_DIR) + "/sla.yaml");
  ASSERT_TRUE(sla.ok()) << sla.status();
  EXPECT_TRUE(Sla::Create(*sla).ok());
}

}  // namespace
}  // namespace leadflow::handoff
