// Identity: capture on first sight, field-by-field merge with precedence, engagement history.
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "services/common/events/ids.h"
#include "services/common/events/lead_events.h"
#include "services/intake/admission.h"
#include "services/intake/identity.h"

namespace leadflow::intake {
namespace {

constexpr int64_t kNow = 1'790'000'000'000;

v1::LeadEvent Admitted(const std::string& key, const std::string& system, int64_t at_ms,
                       const std::function<void(v1::LeadSubmission&)>& fill = {}) {
  v1::LeadSubmission s;
  s.set_idempotency_key(key);
  s.set_source_system(system);
  *s.mutable_occurred_at() = events::TimestampFromMillis(at_ms);
  s.mutable_person()->set_email("jane@acme.example");
  if (fill) fill(s);
  AdmissionOptions o;
  o.lead_id_secret = "k";
  Admission a = Admit(s, v1::INGRESS_CHANNEL_GRPC, kNow, o);
  EXPECT_TRUE(a.ok()) << DescribeViolations(a.violations);
  return a.event;
}

TEST(IdentityTest, FirstSightCapturesTheLeadAtInquiry) {
  const v1::LeadEvent in = Admitted("k1", "webform", kNow - 1000, [](auto& s) {
    s.set_external_id("wf-1");
    s.mutable_person()->set_first_name("Jane");
    s.mutable_source()->set_campaign_id("c1");
  });
  const IdentityOutcome out = ApplyAdmitted(std::nullopt, in, MergePolicy{}, kNow);
  ASSERT_EQ(out.events.size(), 1U);
  const v1::LeadEvent& e = out.events[0];
  ASSERT_TRUE(e.has_captured());
  EXPECT_EQ(e.envelope().event_id(), events::EventId(in.envelope().event_id(), "captured"));
  EXPECT_EQ(e.envelope().causation_id(), in.envelope().event_id());
  EXPECT_EQ(e.envelope().correlation_id(), "submission:webform:k1");
  EXPECT_EQ(e.envelope().lead_id(), in.envelope().lead_id());
  EXPECT_EQ(e.envelope().cycle(), 1);
  EXPECT_EQ(e.envelope().stage_change().to_stage(), v1::STAGE_INQUIRY);
  EXPECT_EQ(e.captured().person().first_name(), "Jane");
  EXPECT_EQ(e.captured().first_touch().campaign_id(), "c1");
  EXPECT_EQ(e.captured().external_ref().external_id(), "wf-1");
  EXPECT_EQ(out.lead.stage(), v1::STAGE_INQUIRY);
  EXPECT_EQ(out.lead.merged_from_size(), 1);
  EXPECT_EQ(out.lead.field_sources().at("person.first_name").source_system(), "webform");
}

TEST(IdentityTest, ARepeatThatChangesNothingEmitsNothing) {
  const v1::LeadEvent first = Admitted("k1", "webform", kNow - 1000,
                                       [](auto& s) { s.mutable_person()->set_first_name("Jane"); });
  const IdentityOutcome captured = ApplyAdmitted(std::nullopt, first, MergePolicy{}, kNow);
  const v1::LeadEvent again = Admitted("k2", "webform", kNow - 500,
                                       [](auto& s) { s.mutable_person()->set_first_name("Jane"); });
  const IdentityOutcome out = ApplyAdmitted(captured.lead, again, MergePolicy{}, kNow);
  EXPECT_TRUE(out.events.empty());
}

TEST(IdentityTest, AnotherSpellingOfTheEmailIsNotAChange) {
  const IdentityOutcome captured =
      ApplyAdmitted(std::nullopt, Admitted("k1", "webform", kNow - 1000), MergePolicy{}, kNow);
  const IdentityOutcome out =
      ApplyAdmitted(captured.lead,
                    Admitted("k2", "crm", kNow - 500,
                             [](auto& s) { s.mutable_person()->set_email(" JANE@Acme.Example "); }),
                    MergePolicy{}, kNow);
  EXPECT_TRUE(out.events.empty());
  EXPECT_EQ(out.lead.person().email(), "jane@acme.example") << "the first spelling stays";
}

TEST(IdentityTest, NewerWinsFieldByFieldAndSaysWhatChanged) {
  const IdentityOutcome captured =
      ApplyAdmitted(std::nullopt,
                    Admitted("k1", "webform", kNow - 10'000,
                             [](auto& s) {
                               s.mutable_person()->set_first_name("Jane");
                               s.mutable_person()->set_job_title("Marketing Manager");
                             }),
                    MergePolicy{}, kNow);
  const IdentityOutcome out =
      ApplyAdmitted(captured.lead,
                    Admitted("k2", "webform", kNow - 5'000,
                             [](auto& s) {
                               s.mutable_person()->set_job_title("VP Marketing");
                               s.mutable_company()->set_employee_count(250);
                             }),
                    MergePolicy{}, kNow);
  ASSERT_EQ(out.events.size(), 1U);
  const v1::LeadUpdated& u = out.events[0].updated();
  EXPECT_EQ(
      std::vector<std::string>(u.changed_fields().begin(), u.changed_fields().end()),
      (std::vector<std::string>{"person.job_title", "person.seniority", "company.employee_count"}));
  EXPECT_EQ(u.person().first_name(), "Jane") << "absent fields keep their value";
  EXPECT_EQ(u.person().job_title(), "VP Marketing");
  EXPECT_EQ(u.company().employee_count(), 250);

  // An older submission of the same source does not overwrite.
  const IdentityOutcome stale =
      ApplyAdmitted(out.lead,
                    Admitted("k3", "webform", kNow - 20'000,
                             [](auto& s) { s.mutable_person()->set_job_title("Intern"); }),
                    MergePolicy{}, kNow);
  EXPECT_TRUE(stale.events.empty());
  EXPECT_EQ(stale.lead.person().job_title(), "VP Marketing");
}

TEST(IdentityTest, SourcePrecedenceProtectsBetterSources) {
  MergePolicy policy;
  policy.source_precedence = {"salesforce", "marketo"};
  const IdentityOutcome captured =
      ApplyAdmitted(std::nullopt,
                    Admitted("k1", "salesforce", kNow - 10'000,
                             [](auto& s) { s.mutable_company()->set_name("Acme Corporation"); }),
                    policy, kNow);
  // A newer webform (unlisted: lowest) cannot overwrite what salesforce wrote...
  const IdentityOutcome webform = ApplyAdmitted(captured.lead,
                                                Admitted("k2", "webform", kNow - 1'000,
                                                         [](auto& s) {
                                                           s.mutable_company()->set_name("acme");
                                                           s.mutable_person()->set_last_name("Doe");
                                                         }),
                                                policy, kNow);
  EXPECT_EQ(webform.lead.company().name(), "Acme Corporation");
  EXPECT_EQ(webform.lead.person().last_name(), "Doe") << "but it fills what is empty";
  // ...while salesforce itself can, even with an older timestamp than the webform's.
  const IdentityOutcome sfdc =
      ApplyAdmitted(webform.lead,
                    Admitted("k3", "salesforce", kNow - 900,
                             [](auto& s) { s.mutable_company()->set_name("Acme Corp."); }),
                    policy, kNow);
  EXPECT_EQ(sfdc.lead.company().name(), "Acme Corp.");
}

TEST(IdentityTest, EngagementsAreRecordedWithHandRaisersAndCounts) {
  const IdentityOutcome captured = ApplyAdmitted(
      std::nullopt,
      Admitted(
          "k1", "webform", kNow - 10'000,
          [](auto& s) { s.mutable_engagement()->set_type(v1::ENGAGEMENT_TYPE_CONTENT_DOWNLOAD); }),
      MergePolicy{}, kNow);
  ASSERT_EQ(captured.events.size(), 2U);
  EXPECT_TRUE(captured.events[0].has_captured());
  EXPECT_FALSE(captured.events[1].engagement_recorded().hand_raiser());
  EXPECT_EQ(captured.events[1].engagement_recorded().engagement_count(), 1);

  const IdentityOutcome demo = ApplyAdmitted(
      captured.lead,
      Admitted("k2", "webform", kNow - 5'000,
               [](auto& s) { s.mutable_engagement()->set_type(v1::ENGAGEMENT_TYPE_DEMO_REQUEST); }),
      MergePolicy{}, kNow);
  ASSERT_EQ(demo.events.size(), 1U) << "nothing else changed";
  const v1::LeadEngagementRecorded& r = demo.events[0].engagement_recorded();
  EXPECT_TRUE(r.hand_raiser());
  EXPECT_EQ(r.engagement_count(), 2);
  EXPECT_EQ(demo.lead.engagement_count(), 2);
  EXPECT_EQ(demo.events[0].envelope().event_id(),
            events::EventId(Admitted("k2", "webform", kNow - 5'000).envelope().event_id(),
                            "engagement_recorded"));
}

TEST(IdentityTest, ANewSourceRecordIsMergedIn) {
  const IdentityOutcome captured = ApplyAdmitted(
      std::nullopt,
      Admitted("k1", "webform", kNow - 10'000, [](auto& s) { s.set_external_id("wf-1"); }),
      MergePolicy{}, kNow);
  const IdentityOutcome out = ApplyAdmitted(
      captured.lead,
      Admitted("k2", "hubspot", kNow - 5'000, [](auto& s) { s.set_external_id("hs-9"); }),
      MergePolicy{}, kNow);
  ASSERT_EQ(out.events.size(), 1U);
  EXPECT_EQ(out.events[0].updated().merged_ref().source_system(), "hubspot");
  EXPECT_EQ(out.lead.merged_from_size(), 2);
}

constexpr int64_t kTtl = 3'600'000;

TEST(SeenSubmissionsTest, ARememberedKeyIsSeenUntilItsTtlEnds) {
  v1::Lead lead;
  RememberSubmission(&lead, "webform", "k1", kNow, kTtl);
  EXPECT_TRUE(HasSeenSubmission(lead, "webform", "k1", kNow, kTtl));
  EXPECT_TRUE(HasSeenSubmission(lead, "webform", "k1", kNow + kTtl - 1, kTtl));
  EXPECT_FALSE(HasSeenSubmission(lead, "webform", "k1", kNow + kTtl, kTtl));
  // The key is the pair: the same key from another system is another submission.
  EXPECT_FALSE(HasSeenSubmission(lead, "marketo", "k1", kNow, kTtl));
  EXPECT_FALSE(HasSeenSubmission(lead, "webform", "k2", kNow, kTtl));
}

TEST(SeenSubmissionsTest, RememberingForgetsTheExpiredKeysAndKeepsTheOrder) {
  v1::Lead lead;
  RememberSubmission(&lead, "a", "old", kNow, kTtl);
  RememberSubmission(&lead, "a", "mid", kNow + kTtl / 2, kTtl);
  RememberSubmission(&lead, "a", "new", kNow + kTtl, kTtl);  // "old" expires exactly now
  ASSERT_EQ(lead.seen_submissions_size(), 2);
  EXPECT_EQ(lead.seen_submissions(0).idempotency_key(), "mid");
  EXPECT_EQ(lead.seen_submissions(1).idempotency_key(), "new");
  EXPECT_EQ(lead.seen_submissions(1).seen_at_ms(), kNow + kTtl);
}

TEST(SeenSubmissionsTest, BeyondTheCapTheOldestKeysAreForgotten) {
  v1::Lead lead;
  for (int i = 0; i < kMaxSeenSubmissions + 10; ++i) {
    RememberSubmission(&lead, "a", std::to_string(i), kNow + i, kTtl);
  }
  ASSERT_EQ(lead.seen_submissions_size(), kMaxSeenSubmissions);
  EXPECT_EQ(lead.seen_submissions(0).idempotency_key(), "10");
  EXPECT_FALSE(HasSeenSubmission(lead, "a", "9", kNow + 300, kTtl));
  EXPECT_TRUE(HasSeenSubmission(lead, "a", "10", kNow + 300, kTtl));
  EXPECT_TRUE(
      HasSeenSubmission(lead, "a", std::to_string(kMaxSeenSubmissions + 9), kNow + 300, kTtl));
}

TEST(SeenSubmissionsTest, ApplyingKeepsTheKeysOfTheStoredLead) {
  v1::Lead stored =
      ApplyAdmitted(std::nullopt, Admitted("k1", "webform", kNow - 1000), MergePolicy{}, kNow).lead;
  RememberSubmission(&stored, "webform", "k1", kNow, kTtl);
  const IdentityOutcome out =
      ApplyAdmitted(stored, Admitted("k2", "webform", kNow - 500), MergePolicy{}, kNow);
  EXPECT_TRUE(HasSeenSubmission(out.lead, "webform", "k1", kNow, kTtl));
}

TEST(SeenSubmissionsTest, ARecordWithoutKeysIsAnsweredFromTheOlderStore) {
  // Written before the keys moved into the lead: the store "submissions" answers, by its key.
  v1::Lead old_record;
  old_record.set_lead_id("lead-1");
  std::vector<std::string> asked;
  auto store = [&](const std::string& key) -> absl::StatusOr<std::optional<std::string>> {
    asked.push_back(key);
    if (key == SubmissionKey("lead-1", "webform", "k1")) return std::string("lead-1");
    return std::nullopt;
  };
  EXPECT_EQ(SeenBefore(old_record, "webform", "k1", kNow, kTtl, store).value_or(false), true);
  EXPECT_EQ(SeenBefore(old_record, "webform", "k2", kNow, kTtl, store).value_or(true), false);
  EXPECT_EQ(asked.size(), 2U);
  auto failing = [](const std::string&) -> absl::StatusOr<std::optional<std::string>> {
    return absl::UnavailableError("store closed");
  };
  EXPECT_EQ(SeenBefore(old_record, "webform", "k1", kNow, kTtl, failing).status().code(),
            absl::StatusCode::kUnavailable);

  // A record with keys answers by itself; the older store is not asked.
  v1::Lead record = old_record;
  RememberSubmission(&record, "webform", "k2", kNow, kTtl);
  EXPECT_EQ(SeenBefore(record, "webform", "k2", kNow, kTtl, store).value_or(false), true);
  EXPECT_EQ(SeenBefore(record, "webform", "k1", kNow, kTtl, store).value_or(true), false);
  EXPECT_EQ(asked.size(), 2U);
}

}  // namespace
}  // namespace leadflow::intake
