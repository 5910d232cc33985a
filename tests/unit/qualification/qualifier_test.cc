// Qualification's decisions with values, on the default config (config/icp.yaml, stages.yaml):
// known profiles become the expected grades and MQL decisions; the gates per grade and the
// hand-raiser path; exclusions; decay and caps over event time; duplicate engagements; the hold in
// nurture and the new cycle after release; re-scoring with a new ICP; the predictive blend; the
// explanation.
#include <cmath>

#include "gtest/gtest.h"
#include "services/common/events/lead_events.h"
#include "services/qualification/config_source.h"
#include "services/qualification/icp_config.h"
#include "services/qualification/qualifier.h"

namespace leadflow::qualification {
namespace {

constexpr int64_t kDay = 86'400'000;
constexpr int64_t kT0 = 1'790'000'000'000;  // 2026-09-21, a fixed "now" for event times

std::shared_ptr<const QualificationConfig> DefaultConfig() {
  auto source = ConfigSource::Create(std::string(LEADFLOW_CONFIG_DIR) + "/icp.yaml",
                                     std::string(LEADFLOW_CONFIG_DIR) + "/stages.yaml", "");
  EXPECT_TRUE(source.ok()) << source.status();
  return (*source)->current();
}

v1::IcpConfig DefaultIcp() {
  auto icp = LoadIcpFile(std::string(LEADFLOW_CONFIG_DIR) + "/icp.yaml");
  EXPECT_TRUE(icp.ok()) << icp.status();
  return *icp;
}

struct Profile {
  std::string email;
  std::string seniority;
  std::string department;
  std::string title;
  int employees = 0;
  std::string industry;
  std::string country;
  std::string domain;
};

v1::LeadEvent Event(const std::string& lead_id, const std::string& event_id, int64_t at_ms) {
  v1::LeadEvent e;
  e.mutable_envelope()->set_lead_id(lead_id);
  e.mutable_envelope()->set_event_id(event_id);
  *e.mutable_envelope()->mutable_occurred_at() = events::TimestampFromMillis(at_ms);
  return e;
}

v1::LeadEvent Captured(const std::string& lead_id, const Profile& p, int64_t at_ms = kT0) {
  v1::LeadEvent e = Event(lead_id, lead_id + "-captured", at_ms);
  e.mutable_envelope()->set_cycle(1);
  v1::LeadCaptured& c = *e.mutable_captured();
  c.set_email_normalized(p.email);
  c.mutable_person()->set_seniority(p.seniority);
  c.mutable_person()->set_department(p.department);
  c.mutable_person()->set_job_title(p.title);
  c.mutable_company()->set_employee_count(p.employees);
  c.mutable_company()->set_industry(p.industry);
  c.mutable_company()->set_country_code(p.country);
  c.mutable_company()->set_domain(p.domain);
  c.mutable_first_touch()->set_channel(v1::CHANNEL_WEBINAR);
  return e;
}

v1::LeadEvent Engaged(const std::string& lead_id, v1::EngagementType type, int64_t at_ms,
                      const std::string& event_id) {
  v1::LeadEvent e = Event(lead_id, event_id, at_ms);
  e.mutable_engagement_recorded()->mutable_engagement()->set_type(type);
  *e.mutable_engagement_recorded()->mutable_engagement()->mutable_occurred_at() =
      events::TimestampFromMillis(at_ms);
  return e;
}

// Feeds events through Apply like the processor does (state in, state out).
class Lead {
 public:
  explicit Lead(std::shared_ptr<const QualificationConfig> config) : config_(std::move(config)) {}

  Decision Feed(const v1::LeadEvent& e) {
    absl::StatusOr<Decision> d = Apply(state_, e, *config_, kT0);
    EXPECT_TRUE(d.ok()) << d.status();
    if (!d.ok()) return Decision{};
    if (d->outcome != Outcome::kDuplicate && d->outcome != Outcome::kIgnored) state_ = d->state;
    return *d;
  }
  void set_config(std::shared_ptr<const QualificationConfig> c) { config_ = std::move(c); }
  const v1::QualificationState& state() const { return *state_; }
  const QualificationConfig& config() const { return *config_; }

 private:
  std::shared_ptr<const QualificationConfig> config_;
  std::optional<v1::QualificationState> state_;
};

const v1::LeadEvent* Find(const Decision& d, v1::LeadEvent::EventCase which) {
  for (const v1::LeadEvent& e : d.events) {
    if (e.event_case() == which) return &e;
  }
  return nullptr;
}

const Profile kGradeA{"jane@acme.example", "vp", "marketing",   "VP Marketing Operations", 250,
                      "software",          "DE", "acme.example"};
const Profile kGradeB{"raj@mid.example", "director", "it",         "IT Director", 100,
                      "retail",          "US",       "mid.example"};
const Profile kGradeC{"li@small.example", "manager", "marketing",    "Marketing Manager", 60,
                      "retail",           "BR",      "small.example"};
const Profile kGradeD{"sam@gmail.com", "", "", "", 0, "", "", ""};

TEST(QualifierTest, KnownProfilesGetTheExpectedGrades) {
  struct Case {
    const char* name;
    Profile profile;
    v1::FitGrade grade;
    double fit;
  };
  const Case cases[] = {
      // 25 size + 20 industry + 10 geo + 20 senior + 15 function + 5 title = 95
      {"A", kGradeA, v1::FIT_GRADE_A, 95},
      // 10 smb + 10 geo + 20 senior + 15 function = 55
      {"B", kGradeB, v1::FIT_GRADE_B, 55},
      // 10 smb + 10 manager + 15 function = 35
      {"C", kGradeC, v1::FIT_GRADE_C, 35},
      // -15 free mail, clamped to 0
      {"D", kGradeD, v1::FIT_GRADE_D, 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Lead lead(DefaultConfig());
    const Decision d = lead.Feed(Captured(c.name, c.profile));
    const v1::LeadEvent* scored = Find(d, v1::LeadEvent::kScored);
    ASSERT_NE(scored, nullptr);
    EXPECT_EQ(scored->scored().score().fit_grade(), c.grade);
    EXPECT_DOUBLE_EQ(scored->scored().score().fit_score(), c.fit);
    EXPECT_EQ(scored->scored().trigger(), v1::SCORE_TRIGGER_CAPTURED);
    EXPECT_EQ(scored->envelope().producer_service(), v1::SERVICE_NAME_QUALIFICATION);
    EXPECT_EQ(scored->envelope().causation_id(), c.name + std::string("-captured"));
    EXPECT_EQ(Find(d, v1::LeadEvent::kQualified), nullptr) << "no engagement yet";
    EXPECT_EQ(lead.state().lead().stage(), v1::STAGE_INQUIRY);
  }
}

TEST(QualifierTest, TheMqlGateAsksLessEngagementOfBetterGrades) {
  // Default gate: A needs 20, B 35, C 60, D never on score. Webinar attended = 15 points, form
  // fill = 10, all at the same instant (no decay).
  struct Case {
    const char* name;
    Profile profile;
    std::vector<v1::EngagementType> engagements;
    bool mql;
    std::string reason_code;
  };
  const auto W = v1::ENGAGEMENT_TYPE_WEBINAR_ATTENDED;
  const auto F = v1::ENGAGEMENT_TYPE_FORM_FILL;
  const Case cases[] = {
      {"A below", kGradeA, {W}, false, "gate.below_engagement"},
      {"A at 25", kGradeA, {W, F}, true, "gate.fit_and_engagement"},
      {"B at 25", kGradeB, {W, F}, false, "gate.below_engagement"},
      {"B at 40", kGradeB, {W, F, W}, true, "gate.fit_and_engagement"},
      {"C at 55", kGradeC, {W, W, W, F}, false, "gate.below_engagement"},
      {"C at 65", kGradeC, {W, W, W, F, F}, true, "gate.fit_and_engagement"},
      {"D at 75", kGradeD, {W, W, W, F, F, F}, false, "gate.grade_below"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Lead lead(DefaultConfig());
    lead.Feed(Captured(c.name, c.profile));
    Decision last;
    for (size_t i = 0; i < c.engagements.size(); ++i) {
      last = lead.Feed(Engaged(c.name, c.engagements[i], kT0, c.name + std::to_string(i)));
    }
    const v1::LeadEvent* q = Find(last, v1::LeadEvent::kQualified);
    EXPECT_EQ(q != nullptr, c.mql);
    EXPECT_EQ(ExplainState(lead.state(), lead.config()).gate_result.code(), c.reason_code);
    EXPECT_EQ(lead.state().lead().stage(), c.mql ? v1::STAGE_MQL : v1::STAGE_INQUIRY);
    if (q != nullptr) {
      EXPECT_EQ(q->qualified().basis(), v1::MQL_BASIS_SCORE);
      EXPECT_EQ(q->envelope().stage_change().from_stage(), v1::STAGE_INQUIRY);
      EXPECT_EQ(q->envelope().stage_change().to_stage(), v1::STAGE_MQL);
      EXPECT_EQ(q->qualified().person().job_title(), c.profile.title);
      EXPECT_EQ(q->qualified().company().domain(), c.profile.domain);
    }
  }
}

TEST(QualifierTest, AHandRaiserQualifiesOnItsOwnFromGradeC) {
  Lead c(DefaultConfig());
  c.Feed(Captured("c", kGradeC));
  const Decision d = c.Feed(Engaged("c", v1::ENGAGEMENT_TYPE_DEMO_REQUEST, kT0, "c-demo"));
  const v1::LeadEvent* q = Find(d, v1::LeadEvent::kQualified);
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->qualified().basis(), v1::MQL_BASIS_HAND_RAISER);
  EXPECT_EQ(q->qualified().hand_raiser_type(), v1::ENGAGEMENT_TYPE_DEMO_REQUEST);
  EXPECT_EQ(q->qualified().reasons(0).code(), "gate.hand_raiser");

  Lead d_lead(DefaultConfig());
  d_lead.Feed(Captured("d", kGradeD));
  const Decision none =
      d_lead.Feed(Engaged("d", v1::ENGAGEMENT_TYPE_PRICING_REQUEST, kT0, "d-pricing"));
  EXPECT_EQ(Find(none, v1::LeadEvent::kQualified), nullptr);
  const Explanation x = ExplainState(d_lead.state(), d_lead.config());
  EXPECT_EQ(x.gate_result.code(), "gate.grade_below");
  EXPECT_FALSE(x.passes_mql_gate);
  EXPECT_NE(x.gate_result.text().find("hand-raiser needs grade C"), std::string::npos)
      << x.gate_result.text();
}

TEST(QualifierTest, ExclusionsDisqualifyWithTheirReason) {
  struct Case {
    const char* name;
    Profile profile;
    v1::DisqualificationReason reason;
    std::string rule;
  };
  Profile student = kGradeA;
  student.seniority = "student";
  Profile competitor = kGradeA;
  competitor.domain = "funnelcorp.example";
  Profile role = kGradeA;
  role.email = "info@acme.example";
  Profile sanctioned = kGradeA;
  sanctioned.country = "KP";
  const Case cases[] = {
      {"student", student, v1::DISQUALIFICATION_REASON_NOT_A_BUYER, "exclude.student"},
      {"competitor", competitor, v1::DISQUALIFICATION_REASON_COMPETITOR, "exclude.competitor"},
      {"role", role, v1::DISQUALIFICATION_REASON_INVALID_CONTACT, "exclude.role_address"},
      {"sanctioned", sanctioned, v1::DISQUALIFICATION_REASON_NOT_ICP, "geo.excluded"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Lead lead(DefaultConfig());
    const Decision d = lead.Feed(Captured(c.name, c.profile));
    const v1::LeadEvent* dq = Find(d, v1::LeadEvent::kDisqualified);
    ASSERT_NE(dq, nullptr);
    EXPECT_EQ(dq->disqualified().reason_code(), c.reason);
    EXPECT_EQ(dq->disqualified().rule_id(), c.rule);
    EXPECT_FALSE(dq->disqualified().reason().text().empty());
    EXPECT_FALSE(dq->disqualified().nurture_allowed()) << "no nurture config published";
    EXPECT_EQ(dq->envelope().stage_change().to_stage(), v1::STAGE_DISQUALIFIED);
    EXPECT_EQ(lead.state().lead().stage(), v1::STAGE_DISQUALIFIED);
    // A disqualified lead is held: a hand-raiser does not make it an MQL.
    const Decision later = lead.Feed(Engaged(c.name, v1::ENGAGEMENT_TYPE_DEMO_REQUEST, kT0, "x"));
    EXPECT_EQ(Find(later, v1::LeadEvent::kQualified), nullptr);
  }
}

TEST(QualifierTest, NurtureConfigDecidesWhetherADisqualificationMayBeNurtured) {
  v1::NurtureConfig nurture;
  v1::NurtureTrack* t = nurture.add_tracks();
  t->set_track_id("not-yet");
  t->add_recycle_reasons(v1::RECYCLE_REASON_DISQUALIFIED);
  t->add_disqualification_reasons(v1::DISQUALIFICATION_REASON_NOT_A_BUYER);
  const auto base = DefaultConfig();
  auto config = BuildConfig(base->icp.config(), 0, base->stage_model, 0, nullptr, 0, &nurture, 7);
  ASSERT_TRUE(config.ok()) << config.status();
  Profile student = kGradeA;
  student.seniority = "student";
  Lead lead(*config);
  const Decision d = lead.Feed(Captured("s", student));
  const v1::LeadEvent* dq = Find(d, v1::LeadEvent::kDisqualified);
  ASSERT_NE(dq, nullptr);
  EXPECT_TRUE(dq->disqualified().nurture_allowed());
  EXPECT_EQ(dq->envelope().config_version(), 7);
}

TEST(QualifierTest, EngagementDecaysWithTheHalfLifeOverEventTime) {
  // Half-life 14 days: a webinar (15) two half-lives old is worth 3.75 when the form fill (10)
  // arrives: 13.75 < 20, so the grade-A lead is not an MQL yet.
  Lead lead(DefaultConfig());
  lead.Feed(Captured("a", kGradeA));
  lead.Feed(Engaged("a", v1::ENGAGEMENT_TYPE_WEBINAR_ATTENDED, kT0, "w"));
  const Decision d = lead.Feed(Engaged("a", v1::ENGAGEMENT_TYPE_FORM_FILL, kT0 + 28 * kDay, "f"));
  EXPECT_NEAR(lead.state().lead().score().engagement_score(), 13.75, 1e-9);
  EXPECT_EQ(Find(d, v1::LeadEvent::kQualified), nullptr);
  const v1::LeadEvent* scored = Find(d, v1::LeadEvent::kScored);
  ASSERT_NE(scored, nullptr);
  EXPECT_EQ(events::MillisFromTimestamp(scored->scored().score().scored_at()), kT0 + 28 * kDay);
  // The published explanation shows the decayed points per type, and so does the API's.
  bool webinar = false;
  for (const v1::ScoreContribution& c : scored->scored().contributions()) {
    if (c.rule_id() == "webinar_attended") {
      webinar = true;
      EXPECT_NEAR(c.points(), 3.75, 1e-9);
      EXPECT_EQ(c.component(), v1::SCORE_COMPONENT_ENGAGEMENT);
    }
  }
  EXPECT_TRUE(webinar);
  const Explanation x = ExplainState(lead.state(), lead.config());
  ASSERT_EQ(x.contributions.size(), static_cast<size_t>(scored->scored().contributions_size()));
  for (size_t i = 0; i < x.contributions.size(); ++i) {
    EXPECT_EQ(x.contributions[i].rule_id(), scored->scored().contributions(i).rule_id());
    EXPECT_DOUBLE_EQ(x.contributions[i].points(), scored->scored().contributions(i).points());
  }
  EXPECT_FALSE(x.config_differs);
}

TEST(QualifierTest, CapsPerDayAndPerCycleAndNegativeSignals) {
  // page_view: 1 point, at most 5 per day and 20 per cycle (default ICP).
  Lead lead(DefaultConfig());
  lead.Feed(Captured("d", kGradeD));
  for (int i = 0; i < 8; ++i) {
    lead.Feed(Engaged("d", v1::ENGAGEMENT_TYPE_PAGE_VIEW, kT0, "pv" + std::to_string(i)));
  }
  EXPECT_NEAR(lead.state().lead().score().engagement_score(), 5, 1e-9);
  for (int day = 1; day <= 5; ++day) {
    for (int i = 0; i < 5; ++i) {
      lead.Feed(Engaged("d", v1::ENGAGEMENT_TYPE_PAGE_VIEW, kT0 + day * kDay,
                        "pv" + std::to_string(day) + "-" + std::to_string(i)));
    }
  }
  // 5 per day on days 0..3 = 20 = the cycle cap; day 4 and 5 add nothing.
  const double hl = 14.0;
  double expected = 0;
  for (int day = 0; day <= 3; ++day) expected += 5 * std::exp2(-(5 - day) / hl);
  EXPECT_NEAR(lead.state().lead().score().engagement_score(), expected, 1e-9);
  // An unsubscribe (-30) takes it to the floor.
  lead.Feed(Engaged("d", v1::ENGAGEMENT_TYPE_UNSUBSCRIBE, kT0 + 5 * kDay, "unsub"));
  EXPECT_EQ(lead.state().lead().score().engagement_score(), 0);
}

TEST(QualifierTest, AnEngagementIsAppliedOncePerEventId) {
  Lead lead(DefaultConfig());
  lead.Feed(Captured("a", kGradeA));
  lead.Feed(Engaged("a", v1::ENGAGEMENT_TYPE_WEBINAR_ATTENDED, kT0, "same"));
  const double before = lead.state().lead().score().engagement_score();
  const Decision again = lead.Feed(Engaged("a", v1::ENGAGEMENT_TYPE_WEBINAR_ATTENDED, kT0, "same"));
  EXPECT_EQ(again.outcome, Outcome::kDuplicate);
  EXPECT_TRUE(again.events.empty());
  EXPECT_EQ(lead.state().lead().score().engagement_score(), before);
  EXPECT_EQ(lead.state().engagements_size(), 1);
}

TEST(QualifierTest, RecycledLeadsAreHeldUntilReleasedThenQualifyInANewCycle) {
  Lead lead(DefaultConfig());
  lead.Feed(Captured("a", kGradeA));
  lead.Feed(Engaged("a", v1::ENGAGEMENT_TYPE_DEMO_REQUEST, kT0, "demo1"));
  ASSERT_EQ(lead.state().lead().stage(), v1::STAGE_MQL);

  v1::LeadEvent recycled = Event("a", "recycled-1", kT0 + kDay);
  recycled.mutable_recycled()->set_recycle_count(1);
  lead.Feed(recycled);
  EXPECT_EQ(lead.state().lead().stage(), v1::STAGE_NURTURE);
  EXPECT_EQ(lead.state().engagements_size(), 0) << "engagement restarts with the nurture";

  // In nurture a hand-raiser is recorded and scored, but qualification does not decide.
  const Decision held =
      lead.Feed(Engaged("a", v1::ENGAGEMENT_TYPE_DEMO_REQUEST, kT0 + 2 * kDay, "demo2"));
  EXPECT_EQ(Find(held, v1::LeadEvent::kQualified), nullptr);
  EXPECT_EQ(lead.state().lead().stage(), v1::STAGE_NURTURE);

  v1::LeadEvent released = Event("a", "released-1", kT0 + 2 * kDay);
  released.mutable_envelope()->set_cycle(2);
  released.mutable_nurture_released()->set_previous_cycle(1);
  const Decision d = lead.Feed(released);
  const v1::LeadEvent* q = Find(d, v1::LeadEvent::kQualified);
  ASSERT_NE(q, nullptr) << "the demo request in nurture counts for the new cycle";
  EXPECT_EQ(q->envelope().cycle(), 2);
  EXPECT_EQ(lead.state().lead().cycle(), 2);
  const v1::LeadEvent* scored = Find(d, v1::LeadEvent::kScored);
  ASSERT_NE(scored, nullptr);
  EXPECT_EQ(scored->scored().trigger(), v1::SCORE_TRIGGER_RELEASED);
  EXPECT_EQ(scored->scored().previous_fit_grade(), v1::FIT_GRADE_UNSPECIFIED);

  v1::LeadEvent archived = Event("a", "archived", kT0 + 3 * kDay);
  archived.mutable_archived();
  lead.Feed(archived);
  const Decision after =
      lead.Feed(Engaged("a", v1::ENGAGEMENT_TYPE_DEMO_REQUEST, kT0 + 4 * kDay, "demo3"));
  EXPECT_EQ(after.outcome, Outcome::kHeld);
  EXPECT_TRUE(after.events.empty());
}

TEST(QualifierTest, UpdatesOfUnknownLeadsAreInputErrors) {
  auto config = DefaultConfig();
  v1::LeadEvent updated = Event("ghost", "u1", kT0);
  updated.mutable_updated()->mutable_person()->set_job_title("CTO");
  absl::StatusOr<Decision> d = Apply(std::nullopt, updated, *config, kT0);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("never saw captured"), std::string_view::npos);
  v1::LeadEvent no_id = Captured("", kGradeA);
  EXPECT_FALSE(Apply(std::nullopt, no_id, *config, kT0).ok());
}

TEST(QualifierTest, RescoreAppliesANewIcpVersionToAStoredLead) {
  // Grade B at 25 engagement is below its threshold (35); an ICP v2 that values retail puts the
  // same lead at grade A (threshold 20): the re-score qualifies it, citing the command.
  Lead lead(DefaultConfig());
  lead.Feed(Captured("b", kGradeB));
  lead.Feed(Engaged("b", v1::ENGAGEMENT_TYPE_WEBINAR_ATTENDED, kT0, "w"));
  lead.Feed(Engaged("b", v1::ENGAGEMENT_TYPE_FORM_FILL, kT0, "f"));
  ASSERT_EQ(lead.state().lead().stage(), v1::STAGE_INQUIRY);

  v1::IcpConfig v2 = DefaultIcp();
  v1::FitRule* retail = v2.add_rules();
  retail->set_rule_id("industry.retail");
  retail->mutable_condition()->set_attribute("company.industry");
  retail->mutable_condition()->set_op(v1::MATCH_OPERATOR_EQUALS);
  retail->mutable_condition()->add_values("retail");
  retail->set_weight(20);
  const auto base = DefaultConfig();
  auto config = BuildConfig(v2, 12, base->stage_model, 3, nullptr, 0, nullptr, 0);
  ASSERT_TRUE(config.ok()) << config.status();

  const Decision d = Rescore(lead.state(), "cmd-1", kT0, **config, kT0);
  const v1::LeadEvent* scored = Find(d, v1::LeadEvent::kScored);
  ASSERT_NE(scored, nullptr);
  EXPECT_EQ(scored->scored().trigger(), v1::SCORE_TRIGGER_RESCORE);
  EXPECT_EQ(scored->scored().score().icp_version(), 12);
  EXPECT_EQ(scored->scored().score().fit_grade(), v1::FIT_GRADE_A);
  EXPECT_EQ(scored->scored().previous_fit_grade(), v1::FIT_GRADE_B);
  EXPECT_EQ(scored->envelope().config_version(), 12);
  EXPECT_EQ(scored->envelope().causation_id(), "rescore:cmd-1:b");
  EXPECT_NE(Find(d, v1::LeadEvent::kQualified), nullptr);
  // Re-scoring again with the same config changes nothing and says nothing.
  const Decision again = Rescore(d.state, "cmd-2", kT0, **config, kT0);
  EXPECT_TRUE(again.events.empty());
}

TEST(QualifierTest, AnActiveModelAddsAPredictiveScoreBlendedIntoTheTotal) {
  v1::ScoringModel model;
  model.set_model_version("m-1");
  model.set_active(true);
  model.set_intercept(-3);
  v1::FeatureWeight* f = model.add_features();
  f->set_feature("fit_score");
  f->set_weight(0.04);
  f = model.add_features();
  f->set_feature("source.channel=CHANNEL_WEBINAR");
  f->set_weight(0.5);
  f = model.add_features();
  f->set_feature("fit_grade=B");
  f->set_weight(5);  // not this lead's grade: contributes nothing
  const auto base = DefaultConfig();
  auto config = BuildConfig(base->icp.config(), 0, base->stage_model, 0, &model, 9, nullptr, 0);
  ASSERT_TRUE(config.ok()) << config.status();
  Lead lead(*config);
  const Decision d = lead.Feed(Captured("a", kGradeA));
  const v1::ScoreSnapshot& s = lead.state().lead().score();
  // logit = -3 + 0.04 × 95 + 0.5 = 1.3
  const double predictive = 100.0 / (1.0 + std::exp(-1.3));
  ASSERT_TRUE(s.has_predictive_score());
  EXPECT_NEAR(s.predictive_score(), predictive, 1e-9);
  EXPECT_EQ(s.model_version(), "m-1");
  // Default blend: 0.4 fit, 0.4 engagement, 0.2 predictive.
  EXPECT_NEAR(s.total_score(), 0.4 * 95 + 0.4 * 0 + 0.2 * predictive, 1e-9);
  int predictive_contributions = 0;
  for (const v1::ScoreContribution& c : Find(d, v1::LeadEvent::kScored)->scored().contributions()) {
    if (c.component() == v1::SCORE_COMPONENT_PREDICTIVE) ++predictive_contributions;
  }
  EXPECT_EQ(predictive_contributions, 2);
  EXPECT_EQ(Find(d, v1::LeadEvent::kScored)->envelope().config_version(), 9);

  // Without a model the total is fit and engagement alone.
  Lead plain(DefaultConfig());
  plain.Feed(Captured("a", kGradeA));
  EXPECT_FALSE(plain.state().lead().score().has_predictive_score());
  EXPECT_NEAR(plain.state().lead().score().total_score(), 47.5, 1e-9);
}

TEST(QualifierTest, AModelWithAnUnknownFeatureDoesNotCompile) {
  v1::ScoringModel model;
  model.set_active(true);
  model.add_features()->set_feature("company.color=blue");
  absl::StatusOr<CompiledModel> m = CompiledModel::Compile(model);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("company.color=blue"), std::string_view::npos);
}

TEST(QualifierTest, PrunedEngagementsStillUseUpTheirCycleCap) {
  // trial_signup: 30 points, at most 1 per cycle. One 300 days ago (pruned: 20 half-lives are 280
  // days) still uses the cap, so a new one counts nothing.
  Lead lead(DefaultConfig());
  lead.Feed(Captured("d", kGradeD));
  lead.Feed(Engaged("d", v1::ENGAGEMENT_TYPE_TRIAL_SIGNUP, kT0, "t1"));
  lead.Feed(Engaged("d", v1::ENGAGEMENT_TYPE_PAGE_VIEW, kT0 + 300 * kDay, "pv"));
  EXPECT_EQ(lead.state().engagements_size(), 1) << "the old trial was pruned";
  ASSERT_EQ(lead.state().pruned_size(), 1);
  EXPECT_EQ(lead.state().pruned(0).count(), 1);
  lead.Feed(Engaged("d", v1::ENGAGEMENT_TYPE_TRIAL_SIGNUP, kT0 + 300 * kDay, "t2"));
  EXPECT_NEAR(lead.state().lead().score().engagement_score(), 1, 1e-9) << "only the page view";
}

TEST(QualifierTest, TheCycleCapStaysExactWhenEngagementsArePruned) {
  // page_view: at most 20 per cycle (5 per day). 20 counted page views, then all of them pruned
  // (300 days later): the cap is used up, so new page views still count nothing.
  Lead lead(DefaultConfig());
  lead.Feed(Captured("d", kGradeD));
  for (int day = 0; day < 4; ++day) {
    for (int i = 0; i < 6; ++i) {  // the 6th of each day is over the daily cap: it uses no slot
      lead.Feed(Engaged("d", v1::ENGAGEMENT_TYPE_PAGE_VIEW, kT0 + day * kDay,
                        "pv" + std::to_string(day) + "-" + std::to_string(i)));
    }
  }
  lead.Feed(Engaged("d", v1::ENGAGEMENT_TYPE_FORM_FILL, kT0 + 300 * kDay, "ff"));
  ASSERT_EQ(lead.state().engagements_size(), 1) << "the page views were pruned";
  ASSERT_EQ(lead.state().pruned_size(), 1);
  EXPECT_EQ(lead.state().pruned(0).count(), 20) << "only the 20 that used the cap";
  for (int i = 0; i < 3; ++i) {
    lead.Feed(
        Engaged("d", v1::ENGAGEMENT_TYPE_PAGE_VIEW, kT0 + 300 * kDay, "late" + std::to_string(i)));
  }
  EXPECT_NEAR(lead.state().lead().score().engagement_score(), 10, 1e-9) << "the form fill only";
}

TEST(QualifierTest, AHandRaiserCountsOnlyWithinTheDecayHorizon) {
  // A demo request 300 days ago (pruned) does not make a lead that later fits a hand-raiser MQL.
  Lead lead(DefaultConfig());
  lead.Feed(Captured("d", kGradeD));
  lead.Feed(Engaged("d", v1::ENGAGEMENT_TYPE_DEMO_REQUEST, kT0, "demo"));
  lead.Feed(Engaged("d", v1::ENGAGEMENT_TYPE_PAGE_VIEW, kT0 + 300 * kDay, "pv"));
  v1::LeadEvent update = Event("d", "u", kT0 + 300 * kDay);
  *update.mutable_updated()->mutable_person() = Captured("x", kGradeC).captured().person();
  *update.mutable_updated()->mutable_company() = Captured("x", kGradeC).captured().company();
  const Decision d = lead.Feed(update);
  ASSERT_NE(Find(d, v1::LeadEvent::kScored), nullptr);
  EXPECT_EQ(Find(d, v1::LeadEvent::kScored)->scored().score().fit_grade(), v1::FIT_GRADE_C);
  EXPECT_EQ(Find(d, v1::LeadEvent::kQualified), nullptr);
}

TEST(QualifierTest, ReleasesAreAcceptedOnceFromNurtureOrArchivedWithTheirEngagement) {
  Lead lead(DefaultConfig());
  lead.Feed(Captured("c", kGradeC));
  // A stray release while the lead is an INQUIRY changes nothing.
  v1::LeadEvent stray = Event("c", "stray", kT0);
  stray.mutable_envelope()->set_cycle(2);
  stray.mutable_nurture_released();
  EXPECT_EQ(lead.Feed(stray).outcome, Outcome::kHeld);
  EXPECT_EQ(lead.state().lead().cycle(), 1);

  lead.Feed(Engaged("c", v1::ENGAGEMENT_TYPE_WEBINAR_ATTENDED, kT0, "w"));
  v1::LeadEvent recycled = Event("c", "recycled", kT0 + kDay);
  recycled.mutable_recycled()->set_recycle_count(1);
  const Decision r = lead.Feed(recycled);
  const v1::LeadEvent* scored = Find(r, v1::LeadEvent::kScored);
  ASSERT_NE(scored, nullptr) << "the engagement restart is published";
  EXPECT_EQ(scored->scored().trigger(), v1::SCORE_TRIGGER_RECYCLED);
  EXPECT_EQ(scored->scored().score().engagement_score(), 0);
  EXPECT_EQ(lead.state().lead().stage(), v1::STAGE_NURTURE);

  v1::LeadEvent archived = Event("c", "archived", kT0 + 2 * kDay);
  archived.mutable_archived();
  lead.Feed(archived);
  // Released from ARCHIVED by a demo request whose engagement_recorded it never saw: the demo
  // counts for the new cycle (hand-raiser path for grade C).
  v1::LeadEvent released = Event("c", "released", kT0 + 3 * kDay);
  released.mutable_envelope()->set_cycle(2);
  released.mutable_nurture_released()->set_previous_cycle(1);
  released.mutable_nurture_released()->mutable_engagement()->set_type(
      v1::ENGAGEMENT_TYPE_DEMO_REQUEST);
  *released.mutable_nurture_released()->mutable_engagement()->mutable_occurred_at() =
      events::TimestampFromMillis(kT0 + 3 * kDay);
  const Decision d = lead.Feed(released);
  const v1::LeadEvent* q = Find(d, v1::LeadEvent::kQualified);
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->qualified().basis(), v1::MQL_BASIS_HAND_RAISER);
  EXPECT_EQ(q->qualified().hand_raiser_type(), v1::ENGAGEMENT_TYPE_DEMO_REQUEST);
  EXPECT_EQ(lead.state().lead().cycle(), 2);
  // The same release again (a replay) is not a third cycle.
  EXPECT_EQ(lead.Feed(released).outcome, Outcome::kHeld);
  EXPECT_EQ(lead.state().lead().cycle(), 2);
}

TEST(QualifierTest, ARescoreNeverScoresBeforeTheScoreItHas) {
  Lead lead(DefaultConfig());
  lead.Feed(Captured("a", kGradeA));
  lead.Feed(Engaged("a", v1::ENGAGEMENT_TYPE_WEBINAR_ATTENDED, kT0 + kDay, "w"));
  const Decision d = Rescore(lead.state(), "old-command", kT0, lead.config(), kT0);
  EXPECT_EQ(events::MillisFromTimestamp(d.state.lead().score().scored_at()), kT0 + kDay);
  EXPECT_TRUE(d.events.empty()) << "same time, same config: same score";
}

TEST(QualifierTest, DescribeConfigSaysTheIcpInPlainWords) {
  const std::string text = DescribeConfig(*DefaultConfig());
  for (const char* expected : {
           "+25 points when company employee count is from 200 up to (not including) 2000",
           "Disqualified (competitor) when company domain is rival-leads.example or "
           "funnelcorp.example",
           "Grades: A from 70 fit points, B from 50, C from 30, D below.",
           "every activity's points halve every 14 days",
           "- demo request: +40 points, at most 2 per cycle",
           "- page view: +1 points, at most 20 per cycle, at most 5 per day",
           "- Grade B with engagement of at least 35",
           "- Or a hand-raiser of grade C or better",
           "None active",
       }) {
    EXPECT_NE(text.find(expected), std::string::npos) << expected << "\n---\n" << text;
  }
}

}  // namespace
}  // namespace leadflow::qualification
