// leadflow-reporting as a real process on the real broker, checked against a recomputation from
// the events the test wrote (an independent code path: stage entries counted straight from the
// events' stage changes, outcomes and amounts summed straight from the events).
//  1. A generated stream of lead events over every input topic (leads, qualification, handoffs,
//     recycle; several cycles, written topic by topic so a lead's events arrive out of order
//     across topics) while reporting is killed with SIGKILL, a second instance joins and leaves
//     (two rebalances): the funnel, win-loss, lead quality and recycle effectiveness equal the
//     recomputation, and the fact rows in the changelog folded every event exactly once.
//  2. The dashboard in headless Chromium (Debian's chromium) loads without console errors and
//     shows the numbers the API gives.
#include <grpcpp/grpcpp.h>
#include <httplib.h>
#include <signal.h>

#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "gtest/gtest.h"
#include "leadflow/v1/reporting_service.grpc.pb.h"
#include "leadflow/v1/reporting_state.pb.h"
#include "services/common/base/strings.h"
#include "services/common/events/lead_events.h"
#include "services/common/stream/task_state.h"
#include "tests/support/kafka_env.h"
#include "tests/support/service_process.h"
#include "tests/support/stream_check.h"
#include "tests/support/temp_dir.h"

namespace leadflow {
namespace {

using testing::KeyValues;
using testing::kKafkaDeadline;
using testing::ServiceProcess;
using testing::TempDir;
using testing::WaitUntil;

constexpr int64_t kT0 = 1'790'000'000'000;  // 2026-09-21
constexpr int64_t kHour = 3'600'000;

struct Topics {
  std::string leads = testing::UniqueName("leads");
  std::string qualification = testing::UniqueName("qualification");
  std::string handoffs = testing::UniqueName("handoffs");
  std::string recycle = testing::UniqueName("recycle");
  std::string config = testing::UniqueName("config");
  std::string dlq = testing::UniqueName("dlq");
  std::string app = testing::UniqueName("reporting");
  std::string changelog() const { return app + "-facts.state.changelog"; }
};

Topics MakeTopics() {
  Topics t;
  EXPECT_TRUE(testing::CreateTopics({t.leads, t.qualification, t.handoffs, t.recycle}, 4).ok());
  EXPECT_TRUE(testing::CreateTopics({t.config, t.dlq}, 1).ok());
  return t;
}

std::vector<std::string> Flags(const Topics& t, const TempDir& dir, const std::string& instance) {
  return {"--grpc.port=0",
          "--http.port=0",
          "--data.dir=" + dir.Sub("reporting-" + instance),
          "--instance.id=" + instance,
          "--kafka.bootstrap.servers=" + testing::KafkaBootstrap(),
          "--application.id=" + t.app,
          "--kafka.session.timeout.ms=6000",
          "--kafka.heartbeat.interval.ms=1000",
          "--topics.leads=" + t.leads,
          "--topics.qualification=" + t.qualification,
          "--topics.handoffs=" + t.handoffs,
          "--topics.recycle=" + t.recycle,
          "--topics.config=" + t.config,
          "--topics.dlq=" + t.dlq,
          "--reporting.train_interval=0s",
          std::string("--reporting.stages_file=") + LEADFLOW_CONFIG_DIR + "/stages.yaml",
          std::string("--reporting.comp_file=") + LEADFLOW_CONFIG_DIR + "/comp.yaml"};
}

// The generated events, per topic, and the recomputation's inputs.
struct Stream {
  std::map<std::string, KeyValues> by_topic;
  std::vector<v1::LeadEvent> all;  // every event, in each lead's order
};

Stream Generate(const Topics& t, int leads, uint32_t seed) {
  std::mt19937 rng(seed);
  auto chance = [&](double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; };
  const v1::Channel kChannels[] = {v1::CHANNEL_WEBINAR, v1::CHANNEL_PAID_SEARCH, v1::CHANNEL_EVENT};
  Stream out;
  for (int i = 0; i < leads; ++i) {
    const std::string id = StrCat("lead-", i);
    int64_t at = kT0 + i * kHour;
    int n = 0;
    auto emit = [&](const std::string& topic, int cycle, v1::Stage from, v1::Stage to) {
      v1::LeadEvent e;
      v1::EventEnvelope& env = *e.mutable_envelope();
      env.set_event_id(StrCat(id, "-", n++));
      env.set_lead_id(id);
      env.set_cycle(cycle);
      at += static_cast<int64_t>(1 + rng() % 30) * kHour;
      *env.mutable_occurred_at() = events::TimestampFromMillis(at);
      if (to != v1::STAGE_UNSPECIFIED) {
        env.mutable_stage_change()->set_from_stage(from);
        env.mutable_stage_change()->set_to_stage(to);
      }
      out.all.push_back(e);
      return std::make_pair(topic, &out.all.back());
    };
    std::vector<std::pair<std::string, size_t>> mine;  // topic, index in out.all
    auto add = [&](const std::string& topic, int cycle, v1::Stage from, v1::Stage to) {
      emit(topic, cycle, from, to);
      mine.emplace_back(topic, out.all.size() - 1);
      return &out.all.back();
    };
    const v1::Channel channel = kChannels[rng() % 3];
    v1::LeadEvent* captured = add(t.leads, 0, v1::STAGE_UNSPECIFIED, v1::STAGE_INQUIRY);
    captured->mutable_captured()->mutable_first_touch()->set_channel(channel);
    for (int cycle = 1; cycle <= 2; ++cycle) {
      const v1::Stage from = v1::STAGE_INQUIRY;
      if (!chance(0.75)) {
        add(t.qualification, cycle, from, v1::STAGE_DISQUALIFIED)
            ->mutable_disqualified()
            ->mutable_score()
            ->set_fit_grade(v1::FIT_GRADE_D);
        break;
      }
      // The truth the trainer should find: the fitter the lead, the likelier the win.
      const double fit = std::uniform_real_distribution<double>(0, 100)(rng);
      v1::LeadEvent* q = add(t.qualification, cycle, from, v1::STAGE_MQL);
      q->mutable_qualified()->mutable_score()->set_fit_grade(fit >= 50 ? v1::FIT_GRADE_A
                                                                       : v1::FIT_GRADE_B);
      q->mutable_qualified()->mutable_score()->set_fit_score(fit);
      q->mutable_qualified()->mutable_first_touch()->set_channel(channel);
      add(t.handoffs, cycle, v1::STAGE_UNSPECIFIED, v1::STAGE_UNSPECIFIED)
          ->mutable_handed_off()
          ->set_queue("emea");
      v1::Stage last;
      if (chance(0.6)) {
        add(t.handoffs, cycle, v1::STAGE_MQL, v1::STAGE_SAL)->mutable_accepted()->set_rep_id("r1");
        add(t.handoffs, cycle, v1::STAGE_SAL, v1::STAGE_SQL)->mutable_converted();
        v1::LeadEvent* o = add(t.handoffs, cycle, v1::STAGE_SQL, v1::STAGE_OPPORTUNITY);
        o->mutable_opportunity_opened()->mutable_amount()->set_currency_code("EUR");
        const int64_t amount = static_cast<int64_t>(5 + rng() % 50) * 1'000'000'000;
        o->mutable_opportunity_opened()->mutable_amount()->set_amount_micros(amount);
        const bool won = chance(1 / (1 + std::exp(-(fit - 50) / 12)));
        last = won ? v1::STAGE_WON : v1::STAGE_LOST;
        v1::LeadEvent* c = add(t.handoffs, cycle, v1::STAGE_OPPORTUNITY, last);
        c->mutable_opportunity_closed()->set_outcome(won ? v1::OPPORTUNITY_OUTCOME_WON
                                                         : v1::OPPORTUNITY_OUTCOME_LOST);
        c->mutable_opportunity_closed()->mutable_amount()->set_currency_code("EUR");
        c->mutable_opportunity_closed()->mutable_amount()->set_amount_micros(amount);
        if (won) break;
      } else {
        last = v1::STAGE_REJECTED;
        add(t.handoffs, cycle, v1::STAGE_MQL, last)
            ->mutable_rejected()
            ->set_reason_code(chance(0.5) ? v1::REJECTION_REASON_BAD_TIMING
                                          : v1::REJECTION_REASON_NO_BUDGET);
      }
      add(t.recycle, cycle, last, v1::STAGE_NURTURE)
          ->mutable_recycled()
          ->set_reason_code(last == v1::STAGE_LOST ? v1::RECYCLE_REASON_LOST
                                                   : v1::RECYCLE_REASON_REJECTED);
      if (cycle == 2 || !chance(0.6)) break;
      add(t.recycle, cycle + 1, v1::STAGE_NURTURE, v1::STAGE_INQUIRY)
          ->mutable_nurture_released()
          ->set_previous_cycle(cycle);
    }
    for (const auto& [topic, index] : mine) {
      out.by_topic[topic].emplace_back(id, out.all[index].SerializeAsString());
    }
  }
  return out;
}

// The recomputation, straight from the events.
struct Truth {
  std::map<v1::Stage, int64_t> entered;  // lead-cycles entering each stage
  std::map<v1::Stage, int64_t> current;  // lead-cycles whose latest stage it is
  std::map<std::string, std::map<v1::Stage, int64_t>> entered_by_channel;
  int64_t won = 0, lost = 0, won_micros = 0;
  int64_t accepted = 0, rejected = 0;
  int64_t recycled = 0, released = 0, requalified = 0;
  int64_t events = 0;
};

Truth Recompute(const std::vector<v1::LeadEvent>& all) {
  Truth t;
  std::map<std::pair<std::string, int>, std::map<v1::Stage, int64_t>> cycles;
  std::map<std::string, v1::Channel> channel;
  for (const v1::LeadEvent& e : all) {
    const std::string& lead = e.envelope().lead_id();
    const int cycle = std::max(1, e.envelope().cycle());
    ++t.events;
    if (e.has_captured()) channel[lead] = e.captured().first_touch().channel();
    if (e.envelope().has_stage_change()) {
      cycles[{lead, cycle}][e.envelope().stage_change().to_stage()] =
          events::MillisFromTimestamp(e.envelope().occurred_at());
    }
    if (e.has_opportunity_closed()) {
      if (e.opportunity_closed().outcome() == v1::OPPORTUNITY_OUTCOME_WON) {
        ++t.won;
        t.won_micros += e.opportunity_closed().amount().amount_micros();
      } else {
        ++t.lost;
      }
    }
    if (e.has_accepted()) ++t.accepted;
    if (e.has_rejected()) ++t.rejected;
    if (e.has_recycled()) ++t.recycled;
    if (e.has_nurture_released()) ++t.released;
  }
  for (const auto& [key, stages] : cycles) {
    v1::Stage latest = v1::STAGE_UNSPECIFIED;
    int64_t latest_at = -1;
    for (const auto& [stage, at] : stages) {
      ++t.entered[stage];
      ++t.entered_by_channel[v1::Channel_Name(channel[key.first])][stage];
      if (at > latest_at) latest = stage, latest_at = at;
    }
    ++t.current[latest];
    if (key.second > 1 && stages.contains(v1::STAGE_MQL)) ++t.requalified;
  }
  return t;
}

std::unique_ptr<v1::ReportingService::Stub> Stub(const ServiceProcess& p) {
  return v1::ReportingService::NewStub(
      grpc::CreateChannel(p.grpc_address(), grpc::InsecureChannelCredentials()));
}

// What the API reports, in the recomputation's shape.
struct Reported {
  Truth t;
  bool ok = false;
  std::string error;
};

Reported Ask(v1::ReportingService::Stub& stub) {
  Reported r;
  auto call = [&](auto method, const auto& request, auto* response) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    grpc::Status s = (stub.*method)(&ctx, request, response);
    if (!s.ok()) r.error = s.error_message();
    return s.ok();
  };
  v1::GetFunnelRequest funnel;
  v1::GetFunnelResponse f;
  if (!call(&v1::ReportingService::Stub::GetFunnel, funnel, &f) || f.rows_size() != 1) return r;
  for (const v1::StageCount& s : f.rows(0).stages()) {
    if (s.entered() > 0) r.t.entered[s.stage()] = s.entered();
    if (s.current() > 0) r.t.current[s.stage()] = s.current();
  }
  v1::GetFunnelRequest by_channel;
  by_channel.mutable_query()->add_group_by(v1::REPORT_DIMENSION_CHANNEL);
  v1::GetFunnelResponse fc;
  if (!call(&v1::ReportingService::Stub::GetFunnel, by_channel, &fc)) return r;
  for (const v1::FunnelRow& row : fc.rows()) {
    for (const v1::StageCount& s : row.stages()) {
      if (s.entered() > 0)
        r.t.entered_by_channel[row.key().group(0).value()][s.stage()] = s.entered();
    }
  }
  v1::GetWinLossResponse w;
  if (!call(&v1::ReportingService::Stub::GetWinLoss, v1::GetWinLossRequest(), &w)) return r;
  for (const v1::WinLossRow& row : w.rows()) {
    r.t.won += row.won();
    r.t.lost += row.lost();
    r.t.won_micros += row.won_amount().amount_micros();
  }
  v1::GetSourceQualityResponse q;
  if (!call(&v1::ReportingService::Stub::GetSourceQuality, v1::GetSourceQualityRequest(), &q)) {
    return r;
  }
  for (const v1::LeadQualityRow& row : q.rows()) {
    r.t.accepted += row.accepted();
    r.t.rejected += row.rejected();
  }
  v1::GetRecycleEffectivenessResponse re;
  if (!call(&v1::ReportingService::Stub::GetRecycleEffectiveness,
            v1::GetRecycleEffectivenessRequest(), &re)) {
    return r;
  }
  for (const v1::RecycleEffectivenessRow& row : re.rows()) {
    r.t.recycled += row.recycled();
    r.t.released += row.released();
    r.t.requalified += row.requalified();
  }
  r.ok = true;
  return r;
}

std::string Describe(const Truth& t) {
  std::string out;
  for (const auto& [s, n] : t.entered) StrAppend(&out, v1::Stage_Name(s), "=", n, " ");
  StrAppend(&out, "| current ");
  for (const auto& [s, n] : t.current) StrAppend(&out, v1::Stage_Name(s), "=", n, " ");
  for (const auto& [channel, stages] : t.entered_by_channel) {
    StrAppend(&out, "| ", channel, ": ");
    for (const auto& [s, n] : stages) StrAppend(&out, v1::Stage_Name(s).substr(6), "=", n, " ");
  }
  StrAppend(&out, "| won=", t.won, " lost=", t.lost, " won_micros=", t.won_micros,
            " accepted=", t.accepted, " rejected=", t.rejected, " recycled=", t.recycled,
            " released=", t.released, " requalified=", t.requalified);
  return out;
}

bool Same(const Truth& a, const Truth& b) {
  return a.entered == b.entered && a.current == b.current &&
         a.entered_by_channel == b.entered_by_channel && a.won == b.won && a.lost == b.lost &&
         a.won_micros == b.won_micros && a.accepted == b.accepted && a.rejected == b.rejected &&
         a.recycled == b.recycled && a.released == b.released && a.requalified == b.requalified;
}

// Σ events over the fact rows in the changelog (read_committed, last write per key): every event
// folded exactly once.
int64_t FoldedEvents(const std::string& changelog) {
  testing::Verifier v(changelog);
  std::map<std::string, std::string> last;
  // Read to the end: until nothing new arrives for 3 s (a poll returns at most one record).
  const auto deadline = std::chrono::steady_clock::now() + kKafkaDeadline;
  for (int idle = 0; idle < 10 && std::chrono::steady_clock::now() < deadline;) {
    const size_t before = v.records.size();
    v.PollOnce(300);
    idle = v.records.size() == before ? idle + 1 : 0;
  }
  for (const auto& [key, value] : v.records) last[key] = value;
  int64_t events = 0;
  const std::string prefix = stream::ChangelogKey("cycles", "");
  for (const auto& [key, value] : last) {
    if (key.rfind(prefix, 0) != 0 || value.empty()) continue;
    v1::LeadCycleFacts f;
    if (f.ParseFromString(value)) events += f.events();
  }
  return events;
}

void ProduceTopics(const Stream& s, const std::vector<std::string>& topics, size_t part,
                   size_t parts) {
  for (const std::string& topic : topics) {
    const KeyValues& all = s.by_topic.at(topic);
    const size_t begin = all.size() * part / parts, end = all.size() * (part + 1) / parts;
    testing::ProduceAll(topic, KeyValues(all.begin() + static_cast<long>(begin),
                                         all.begin() + static_cast<long>(end)));
  }
}

TEST(ReportingTest, ReportsEqualTheRecomputationAcrossKill9AndRebalances) {
  const Topics t = MakeTopics();
  TempDir dir;
  const Stream stream = Generate(t, 400, 7);
  const Truth truth = Recompute(stream.all);
  ASSERT_GT(truth.released, 20) << "the stream must exercise second cycles";
  ASSERT_GT(truth.won, 20);

  ServiceProcess a("reporting", LEADFLOW_REPORTING_PATH, dir.Sub("reporting-a.log"));
  ServiceProcess b("reporting", LEADFLOW_REPORTING_PATH, dir.Sub("reporting-b.log"));
  ASSERT_NO_FATAL_FAILURE(a.Start(Flags(t, dir, "a")));
  const std::vector<std::string> order = {t.handoffs, t.recycle, t.qualification, t.leads};
  // First half, topic by topic (downstream topics first: out of order across topics).
  ProduceTopics(stream, order, 0, 2);
  auto stub = Stub(a);
  ASSERT_TRUE(WaitUntil([&] { return Ask(*stub).t.won > 0; }, kKafkaDeadline))
      << "reporting folds nothing; log " << a.log_path();
  // kill -9 mid-stream, then two instances (a rebalance), the rest of the stream.
  EXPECT_EQ(a.Stop(SIGKILL), 128 + SIGKILL);
  ASSERT_NO_FATAL_FAILURE(b.Start(Flags(t, dir, "b")));
  ASSERT_NO_FATAL_FAILURE(a.Start(Flags(t, dir, "a")));
  ProduceTopics(stream, order, 1, 2);
  // b leaves (a second rebalance); a serves the whole system.
  EXPECT_EQ(b.Stop(SIGTERM), 0);
  stub = Stub(a);
  Reported last;
  const bool equal = WaitUntil(
      [&] {
        last = Ask(*stub);
        return last.ok && Same(last.t, truth);
      },
      std::chrono::seconds(180));
  EXPECT_TRUE(equal) << "reported:   " << Describe(last.t) << " " << last.error
                     << "\nrecomputed: " << Describe(truth) << "\nlogs " << a.log_path() << " "
                     << b.log_path();
  // A release is folded into two rows (the cycle it ends and the one it starts).
  EXPECT_EQ(FoldedEvents(t.changelog()), truth.events + truth.released)
      << "every event folded exactly once";
  EXPECT_EQ(a.Stop(SIGTERM), 0);
}

// The closed loop: trained on the closed deals (won likelier the higher the fit), the model is
// published to the config topic once and read back as the current model; later runs on the same
// deals are not better, so nothing more is published.
TEST(ReportingTest, TrainerPublishesABetterModelAndNotAWorseOne) {
  const Topics t = MakeTopics();
  TempDir dir;
  const Stream stream = Generate(t, 900, 5);
  const Truth truth = Recompute(stream.all);
  ASSERT_GT(truth.won + truth.lost, 400) << "enough closed deals to train on";
  ServiceProcess a("reporting", LEADFLOW_REPORTING_PATH, dir.Sub("reporting.log"));
  std::vector<std::string> flags = Flags(t, dir, "a");
  flags.push_back("--reporting.train_interval=3s");
  ProduceTopics(stream, {t.leads, t.qualification, t.handoffs, t.recycle}, 0, 1);
  ASSERT_NO_FATAL_FAILURE(a.Start(flags));
  auto stub = Stub(a);
  ASSERT_TRUE(WaitUntil([&] { return Same(Ask(*stub).t, truth); }, kKafkaDeadline));

  v1::GetScoringModelResponse model;
  auto ask = [&] {
    grpc::ClientContext ctx;
    v1::GetScoringModelRequest request;
    request.set_runs(100);
    return stub->GetScoringModel(&ctx, request, &model).ok();
  };
  ASSERT_TRUE(
      WaitUntil([&] { return ask() && !model.current().model_version().empty(); }, kKafkaDeadline))
      << "no model published; runs: " << model.ShortDebugString() << " log " << a.log_path();
  const v1::ScoringModel published = model.current();
  std::cout << "published " << published.model_version() << ": held-out AUC "
            << published.metrics().auc() << ", calibration error "
            << published.metrics().calibration_error() << " on "
            << published.metrics().validation_examples() << " deals\n";
  EXPECT_GT(published.metrics().auc(), 0.75) << "the fit decides the outcome: it must rank";
  bool has_fit = false;
  for (const v1::FeatureWeight& w : published.features()) {
    if (w.feature() == "fit_score") has_fit = w.weight() > 0;
  }
  EXPECT_TRUE(has_fit) << "a higher fit must raise the odds: " << published.ShortDebugString();

  // Two more runs on the same deals: not better, so not published, with the reason.
  ASSERT_TRUE(WaitUntil(
      [&] {
        if (!ask()) return false;
        int after = 0;
        for (const v1::ScoringModelRun& r : model.runs()) {
          if (r.published()) break;
          ++after;  // runs are newest first
        }
        return after >= 2;
      },
      kKafkaDeadline))
      << model.ShortDebugString();
  EXPECT_EQ(model.current().model_version(), published.model_version());
  EXPECT_FALSE(model.runs(0).published());
  EXPECT_NE(model.runs(0).decision().find("not published"), std::string::npos)
      << model.runs(0).decision();
  testing::Verifier config(t.config);
  ASSERT_TRUE(config.WaitFor(1));
  int models = 0;
  for (const auto& [key, value] : config.records) models += key == "scoring_model" ? 1 : 0;
  EXPECT_EQ(models, 1) << "published once";
  EXPECT_EQ(a.Stop(SIGTERM), 0);
}

TEST(ReportingTest, DashboardShowsTheNumbersTheApiGives) {
  const Topics t = MakeTopics();
  TempDir dir;
  const Stream stream = Generate(t, 120, 11);
  const Truth truth = Recompute(stream.all);
  ServiceProcess a("reporting", LEADFLOW_REPORTING_PATH, dir.Sub("reporting.log"));
  ASSERT_NO_FATAL_FAILURE(a.Start(Flags(t, dir, "a")));
  ProduceTopics(stream, {t.leads, t.qualification, t.handoffs, t.recycle}, 0, 1);
  auto stub = Stub(a);
  Reported last;
  ASSERT_TRUE(WaitUntil(
      [&] {
        last = Ask(*stub);
        return last.ok && Same(last.t, truth);
      },
      kKafkaDeadline))
      << "reported:   " << Describe(last.t) << " " << last.error
      << "\nrecomputed: " << Describe(truth) << "\nlog " << a.log_path();

  const std::string command =
      StrCat("python3 ", LEADFLOW_SOURCE_DIR,
             "/tests/support/dashboard_probe.py http://127.0.0.1:", a.http_port(), "/dashboard/ 2>",
             dir.Sub("probe.err"));
  std::string output;
  {
    FILE* pipe = popen(command.c_str(), "r");
    ASSERT_NE(pipe, nullptr);
    char buffer[4096];
    size_t n;
    while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) output.append(buffer, n);
    ASSERT_EQ(pclose(pipe), 0) << "the probe could not run Chromium: see " << dir.Sub("probe.err");
  }
  const nlohmann::json probe = nlohmann::json::parse(output, nullptr, false);
  ASSERT_FALSE(probe.is_discarded()) << output;
  EXPECT_TRUE(probe.value("ready", false)) << output;
  EXPECT_EQ(probe.value("errors", -1), 0) << output;
  EXPECT_TRUE(probe["console_errors"].empty()) << probe["console_errors"].dump();

  // Every funnel stage and the win-loss totals the page shows are the API's.
  const nlohmann::json& metrics = probe["metrics"];
  for (const auto& [stage, n] : truth.entered) {
    const std::string name = StrCat("funnel.", v1::Stage_Name(stage), ".entered");
    if (!metrics.contains(name)) continue;  // the page shows the main path
    EXPECT_EQ(metrics[name].value("value", ""), std::to_string(n)) << name;
  }
  for (const char* stage : {"STAGE_INQUIRY", "STAGE_MQL", "STAGE_SAL", "STAGE_WON"}) {
    EXPECT_TRUE(metrics.contains(StrCat("funnel.", stage, ".entered"))) << stage << " not shown";
  }
  ASSERT_TRUE(metrics.contains("winloss.total.won")) << metrics.dump();
  EXPECT_EQ(metrics["winloss.total.won"].value("value", ""), std::to_string(truth.won));
  EXPECT_EQ(a.Stop(SIGTERM), 0);
}

}  // namespace
}  // namespace leadflow
