// The demo data set (tools/demo): deterministic from its seed; every archetype's qualification
// outcome holds against the shipped ICP and stage model when its submissions run through intake's
// admission and identity and qualification's decisions (the real, pure code — what the services
// run); the ground truth counts what the plans imply; the comparison finds every difference.
#include <gtest/gtest.h>

#include <set>

#include "services/common/base/strings.h"
#include "services/common/events/lead_events.h"
#include "services/intake/admission.h"
#include "services/intake/identity.h"
#include "services/qualification/config_source.h"
#include "services/qualification/qualifier.h"
#include "tools/demo/driver.h"
#include "tools/demo/generator.h"
#include "tools/demo/truth.h"

namespace leadflow::demo {
namespace {

constexpr int64_t kNow = 1'795'000'000'000;  // 2026-11-18

DemoDataSet Make(uint64_t seed, int leads) {
  DemoOptions o;
  o.seed = seed;
  o.leads = leads;
  o.now_ms = kNow;
  return Generate(o);
}

std::string Serialized(const DemoDataSet& set) {
  std::string out;
  for (const DemoLead& lead : set.leads) {
    out += lead.submission.SerializeAsString();
    for (const v1::Engagement& e : lead.engagements) out += e.SerializeAsString();
    out += std::to_string(static_cast<int>(lead.plan.answer)) + lead.plan.close_reason +
           std::to_string(lead.plan.amount_micros);
  }
  return out;
}

TEST(DemoDataTest, TheSameSeedGivesTheSameDataSetAndAnotherSeedAnother) {
  EXPECT_EQ(Serialized(Make(7, 300)), Serialized(Make(7, 300)));
  EXPECT_NE(Serialized(Make(7, 300)), Serialized(Make(8, 300)));
}

TEST(DemoDataTest, EveryWayInCarriesLeadsAndEveryPersonIsDistinct) {
  const DemoDataSet set = Make(3, 1000);
  std::set<std::string> emails;
  std::map<WayIn, int> ways;
  std::set<Archetype> archetypes;
  for (const DemoLead& lead : set.leads) {
    EXPECT_TRUE(emails.insert(lead.submission.person().email()).second)
        << lead.submission.person().email();
    ++ways[lead.way_in];
    archetypes.insert(lead.archetype);
  }
  EXPECT_EQ(ways.size(), 5u);
  for (const auto& [way, n] : ways) EXPECT_EQ(n, 200) << WayInName(way);
  EXPECT_EQ(archetypes.size(), 9u) << "every archetype appears in 1,000 leads";
}

// Runs each lead's capture and activities through admission → identity → qualification, the
// way the services chain them, and checks the outcome the archetype promises: the stage, the
// grade, and — for MQLs — that the gate opens on the lead's last activity (the one the driver
// sends last, so sales never answers before the lead's data is complete).
TEST(DemoDataTest, EveryArchetypeQualifiesAsConstructedUnderTheShippedConfig) {
  auto source =
      qualification::ConfigSource::Create(std::string(LEADFLOW_CONFIG_DIR) + "/icp.yaml",
                                          std::string(LEADFLOW_CONFIG_DIR) + "/stages.yaml",
                                          std::string(LEADFLOW_CONFIG_DIR) + "/nurture.yaml");
  ASSERT_TRUE(source.ok()) << source.status();
  const std::shared_ptr<const qualification::QualificationConfig> config = (*source)->current();
  intake::AdmissionOptions admission;
  admission.lead_id_secret = "demo-test";
  const intake::MergePolicy policy;

  for (uint64_t seed : {1u, 2u, 3u}) {
    const DemoDataSet set = Make(seed, 600);
    for (const DemoLead& lead : set.leads) {
      SCOPED_TRACE(StrCat("seed ", seed, " lead ", lead.index, " ", ArchetypeName(lead.archetype)));
      std::vector<v1::LeadSubmission> submissions = {lead.submission};
      if (lead.way_in == WayIn::kCsv) {
        // A badge scan carries no activity and no revenue (the CSV has no such columns).
        submissions[0].clear_engagement();
        submissions[0].mutable_company()->clear_annual_revenue();
      }
      for (size_t k = 0; k < lead.engagements.size(); ++k) {
        submissions.push_back(ActivityAsSubmission(lead, k));
      }
      std::optional<v1::Lead> stored;
      std::optional<v1::QualificationState> state;
      int qualified_at = -1;
      int disqualified_at = -1;
      for (size_t k = 0; k < submissions.size(); ++k) {
        const intake::Admission a =
            intake::Admit(submissions[k], v1::INGRESS_CHANNEL_GRPC, kNow, admission);
        ASSERT_TRUE(a.ok()) << a.violations[0].field() << ": " << a.violations[0].description();
        const intake::IdentityOutcome o = intake::ApplyAdmitted(stored, a.event, policy, kNow);
        stored = o.lead;
        for (const v1::LeadEvent& e : o.events) {
          absl::StatusOr<qualification::Decision> d = qualification::Apply(state, e, *config, kNow);
          ASSERT_TRUE(d.ok()) << d.status();
          state = d->state;
          for (const v1::LeadEvent& out : d->events) {
            if (out.has_qualified() && qualified_at < 0) qualified_at = static_cast<int>(k);
            if (out.has_disqualified() && disqualified_at < 0) {
              disqualified_at = static_cast<int>(k);
              EXPECT_EQ(v1::DisqualificationReason_Name(out.disqualified().reason_code()),
                        "DISQUALIFICATION_REASON_" + AsciiStrToUpper(lead.disqualification_reason));
              // Only the future-fit track (config/nurture.yaml) takes a disqualification: not_icp.
              EXPECT_EQ(out.disqualified().nurture_allowed(),
                        lead.disqualification_reason == "not_icp");
            }
          }
        }
      }
      ASSERT_TRUE(state.has_value());
      EXPECT_EQ(v1::Stage_Name(state->lead().stage()), v1::Stage_Name(lead.gate))
          << "fit " << state->lead().score().fit_score() << " engagement "
          << state->lead().score().engagement_score();
      if (lead.gate != v1::STAGE_DISQUALIFIED) {
        EXPECT_EQ(v1::FitGrade_Name(state->lead().score().fit_grade()),
                  v1::FitGrade_Name(lead.grade))
            << "fit " << state->lead().score().fit_score();
      }
      if (lead.gate == v1::STAGE_MQL) {
        EXPECT_EQ(qualified_at, static_cast<int>(submissions.size()) - 1);
      }
      if (lead.gate == v1::STAGE_DISQUALIFIED) {
        EXPECT_EQ(disqualified_at, 0);
      }
    }
  }
}

TEST(DemoDataTest, TheTruthCountsWhatThePlansImply) {
  const DemoDataSet set = Make(11, 800);
  const GroundTruth t = ComputeTruth(set);
  int64_t mql = 0, accepted = 0, rejected = 0, won = 0, lost = 0, won_micros = 0;
  for (const DemoLead& lead : set.leads) {
    if (lead.gate != v1::STAGE_MQL) continue;
    ++mql;
    accepted += lead.plan.answer == SalesPlan::Answer::kAccept ? 1 : 0;
    rejected += lead.plan.answer == SalesPlan::Answer::kReject ? 1 : 0;
    if (lead.plan.close == SalesPlan::Close::kWon) {
      ++won;
      won_micros += lead.plan.amount_micros;
    }
    lost += lead.plan.close == SalesPlan::Close::kLost ? 1 : 0;
  }
  EXPECT_EQ(t.leads, 800);
  EXPECT_EQ(t.entered.at(v1::STAGE_INQUIRY), 800);
  EXPECT_EQ(t.entered.at(v1::STAGE_MQL), mql);
  EXPECT_EQ(t.handoffs, mql);
  EXPECT_EQ(t.entered.at(v1::STAGE_SAL), accepted);
  EXPECT_EQ(t.entered.at(v1::STAGE_REJECTED), rejected);
  EXPECT_EQ(t.winloss.won, won);
  EXPECT_EQ(t.winloss.lost, lost);
  EXPECT_EQ(t.winloss.won_micros, won_micros);
  // Every recycled lead (rejected, lost, disqualified) is nurtured or archived, exactly once.
  EXPECT_EQ(t.entered.at(v1::STAGE_NURTURE) + t.entered.at(v1::STAGE_ARCHIVED),
            rejected + lost + t.entered.at(v1::STAGE_DISQUALIFIED));
  int64_t by_channel = 0;
  for (const auto& [channel, q] : t.quality) by_channel += q.leads;
  EXPECT_EQ(by_channel, 800);
  // A realistic mix: some of everything.
  EXPECT_GT(mql, 100);
  EXPECT_GT(won, 5);
  EXPECT_GT(lost, 5);
  EXPECT_GT(t.entered.at(v1::STAGE_DISQUALIFIED), 50);
}

// Reports built from the truth match it; one changed number is named.
TEST(DemoDataTest, TheComparisonNamesEveryDifference) {
  const GroundTruth t = ComputeTruth(Make(5, 400));
  v1::GetFunnelResponse funnel;
  v1::FunnelRow& row = *funnel.add_rows();
  for (v1::Stage s : TruthStages()) {
    v1::StageCount& c = *row.add_stages();
    c.set_stage(s);
    c.set_entered(t.entered.at(s));
  }
  EXPECT_TRUE(CompareFunnel(t, funnel).empty());
  row.mutable_stages(1)->set_entered(row.stages(1).entered() + 1);
  const std::vector<std::string> diffs = CompareFunnel(t, funnel);
  ASSERT_EQ(diffs.size(), 1u);
  EXPECT_NE(diffs[0].find("STAGE_MQL"), std::string::npos) << diffs[0];

  v1::GetWinLossResponse winloss;
  v1::WinLossRow& w = *winloss.add_rows();
  w.set_won(t.winloss.won);
  w.set_lost(t.winloss.lost);
  w.mutable_won_amount()->set_currency_code("EUR");
  w.mutable_won_amount()->set_amount_micros(t.winloss.won_micros);
  w.mutable_lost_amount()->set_currency_code("EUR");
  w.mutable_lost_amount()->set_amount_micros(t.winloss.lost_micros);
  for (const auto& [code, n] : t.winloss.win_reasons) {
    v1::ReasonCount& r = *w.add_win_reasons();
    r.mutable_reason()->set_code(code);
    r.set_count(n);
  }
  for (const auto& [code, n] : t.winloss.loss_reasons) {
    v1::ReasonCount& r = *w.add_loss_reasons();
    r.mutable_reason()->set_code(code);
    r.set_count(n);
  }
  for (const auto& [name, wl] : t.winloss.competitors) {
    v1::CompetitorCount& c = *w.add_competitors();
    c.set_competitor(name);
    c.set_won(wl.first);
    c.set_lost(wl.second);
  }
  EXPECT_TRUE(CompareWinLoss(t, winloss).empty());
  w.mutable_won_amount()->set_amount_micros(t.winloss.won_micros + 1'000'000);
  ASSERT_EQ(CompareWinLoss(t, winloss).size(), 1u);
  EXPECT_NE(CompareWinLoss(t, winloss)[0].find("won amount"), std::string::npos);

  v1::GetSourceQualityResponse quality;
  EXPECT_EQ(CompareQuality(t, quality).size(), t.quality.size())
      << "every channel of the truth missing from the report is named";
}

}  // namespace
}  // namespace leadflow::demo
