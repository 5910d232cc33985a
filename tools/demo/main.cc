// leadflow-demo: the demo and test data set (tools/demo/generator.h), and a driver that plays the
// marketing systems and the sales tool against a running leadflow.
//
//   leadflow-demo generate --seed 7 --leads 500 --out demo/
//       writes demo/leads.jsonl (every lead: way in, archetype, grade, expected gate, the capture,
//       the activities, the sales plan) and demo/truth.json (the funnel, source quality and
//       win-loss the data set implies)
//   leadflow-demo run --seed 7 --leads 500 [--check]
//       feeds the leads through every way in, answers the handoffs as the sales plans say, and
//       (--check) waits until reporting's funnel, quality and win-loss equal the ground truth
//
// Exit codes: 0 done (and, with --check, the reports equal the truth); 1 failed; 2 bad usage;
// 6 the reports differ from the truth (the differences are printed).
#include <google/protobuf/util/json_util.h>
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "services/common/base/strings.h"
#include "services/handoff/routing.h"
#include "tools/demo/driver.h"
#include "tools/demo/generator.h"
#include "tools/demo/truth.h"

namespace {

using leadflow::StrCat;
namespace demo = leadflow::demo;

int Fail(const std::string& message) {
  std::fprintf(stderr, "leadflow-demo: %s\n", message.c_str());
  return 1;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

nlohmann::json LeadToJson(const demo::DemoLead& lead) {
  auto proto_json = [](const google::protobuf::Message& m) {
    std::string text;
    if (!google::protobuf::util::MessageToJsonString(m, &text).ok()) return nlohmann::json();
    return nlohmann::json::parse(text, nullptr, false);
  };
  nlohmann::json j;
  j["index"] = lead.index;
  j["way_in"] = demo::WayInName(lead.way_in);
  j["archetype"] = demo::ArchetypeName(lead.archetype);
  j["grade"] = leadflow::v1::FitGrade_Name(lead.grade);
  j["gate"] = leadflow::v1::Stage_Name(lead.gate);
  if (!lead.disqualification_reason.empty()) {
    j["disqualification_reason"] = lead.disqualification_reason;
  }
  j["submission"] = proto_json(lead.submission);
  j["engagements"] = nlohmann::json::array();
  for (const auto& e : lead.engagements) j["engagements"].push_back(proto_json(e));
  if (lead.gate == leadflow::v1::STAGE_MQL) {
    const demo::SalesPlan& p = lead.plan;
    nlohmann::json& plan = j["sales_plan"];
    plan["answer"] = p.answer == demo::SalesPlan::Answer::kAccept   ? "accept"
                     : p.answer == demo::SalesPlan::Answer::kReject ? "reject"
                                                                    : "none";
    if (p.answer == demo::SalesPlan::Answer::kReject) {
      plan["reason"] = leadflow::v1::RejectionReason_Name(p.reject_reason);
    }
    plan["convert"] = p.convert;
    plan["open"] = p.open;
    if (p.open) {
      plan["opportunity_id"] = p.opportunity_id;
      plan["amount_eur"] = p.amount_micros / 1'000'000;
      plan["products"] = p.products;
      plan["close"] = p.close == demo::SalesPlan::Close::kWon    ? "won"
                      : p.close == demo::SalesPlan::Close::kLost ? "lost"
                                                                 : "open";
      if (!p.close_reason.empty()) plan["close_reason"] = p.close_reason;
      if (!p.competitor.empty()) plan["competitor"] = p.competitor;
    }
  }
  return j;
}

void PrintTruth(const demo::GroundTruth& t) {
  std::printf("%lld leads:", static_cast<long long>(t.leads));
  for (const auto& [way, n] : t.by_way_in)
    std::printf(" %s %lld", way.c_str(), static_cast<long long>(n));
  std::printf("\nexpected funnel (entered):");
  for (leadflow::v1::Stage s : demo::TruthStages()) {
    std::printf(" %s %lld",
                leadflow::AsciiStrToLower(leadflow::v1::Stage_Name(s).substr(6)).c_str(),
                static_cast<long long>(t.entered.at(s)));
  }
  std::printf("\nexpected win-loss: %lld won (EUR %lld), %lld lost (EUR %lld)\n",
              static_cast<long long>(t.winloss.won),
              static_cast<long long>(t.winloss.won_micros / 1'000'000),
              static_cast<long long>(t.winloss.lost),
              static_cast<long long>(t.winloss.lost_micros / 1'000'000));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"leadflow-demo — the demo data set and a driver that plays marketing and sales"};
  app.require_subcommand(1);
  demo::DemoOptions options;
  options.now_ms = NowMs();
  app.add_option("--seed", options.seed, "the data set's seed (the same seed, the same leads)")
      ->capture_default_str();
  app.add_option("--leads", options.leads, "how many leads")->capture_default_str();
  app.add_option("--history-days", options.history_days,
                 "captures spread over this many days before now")
      ->capture_default_str();
  app.add_option("--tag", options.tag,
                 "marks every email and idempotency key (default s<seed>); a new tag gives new "
                 "people");
  app.fallthrough();

  CLI::App* generate = app.add_subcommand("generate", "write the data set and its ground truth");
  std::string out_dir = "demo";
  generate->add_option("--out", out_dir, "directory for leads.jsonl and truth.json")
      ->capture_default_str();

  CLI::App* run = app.add_subcommand(
      "run", "drive the data set through a running leadflow and answer its handoffs");
  demo::Endpoints endpoints;
  if (const char* env = std::getenv("LEADFLOW_KAFKA_BOOTSTRAP_SERVERS"); env != nullptr) {
    endpoints.bootstrap = env;
  }
  // TLS and token from the environment (LEADFLOW_CA_FILE, LEADFLOW_TOKEN_FILE, ...; the demo's
  // token needs the marketing-writer, sales-tool and reader roles).
  if (absl::StatusOr<leadflow::local::ClientSecurity> security =
          leadflow::local::ClientSecurity::FromEnv();
      security.ok()) {
    endpoints.security = *security;
  } else {
    std::fprintf(stderr, "leadflow-demo: %s\n", std::string(security.status().message()).c_str());
    return 2;
  }
  std::string routing_file = "config/routing.yaml";
  std::string work_dir = ".run/demo";
  bool check = false;
  int timeout_s = 300;
  run->add_option("--intake", endpoints.intake_grpc, "intake gRPC address")->capture_default_str();
  run->add_option("--intake-http", endpoints.intake_http, "intake HTTP host:port")
      ->capture_default_str();
  run->add_option("--handoff", endpoints.handoff_grpc,
                  "handoff gRPC address (replicas: addresses separated by commas)")
      ->capture_default_str();
  run->add_option("--reporting", endpoints.reporting_grpc, "reporting gRPC address")
      ->capture_default_str();
  run->add_option(
         "--bootstrap", endpoints.bootstrap,
         "Kafka bootstrap servers, for the raw topic (env LEADFLOW_KAFKA_BOOTSTRAP_SERVERS)")
      ->required();
  run->add_option("--raw-topic", endpoints.raw_topic)->capture_default_str();
  run->add_option("--routing", routing_file, "the routing config (which reps work which queue)")
      ->capture_default_str();
  run->add_option("--work-dir", work_dir, "where the CSV export is written")->capture_default_str();
  run->add_flag("--check", check,
                "wait until reporting equals the ground truth (only on a leadflow holding no other "
                "data)");
  run->add_option("--timeout", timeout_s, "seconds to wait for handoffs and reports")
      ->capture_default_str();
  app.footer(
      "Exit codes: 0 done; 1 failed; 2 bad usage; 6 the reports differ from the ground truth.");
  CLI11_PARSE(app, argc, argv);

  const demo::DemoDataSet set = demo::Generate(options);
  const demo::GroundTruth truth = demo::ComputeTruth(set);

  if (generate->parsed()) {
    std::error_code ec;
    std::filesystem::create_directories(out_dir, ec);
    std::ofstream leads(out_dir + "/leads.jsonl", std::ios::trunc);
    for (const demo::DemoLead& lead : set.leads) leads << LeadToJson(lead).dump() << "\n";
    std::ofstream truth_file(out_dir + "/truth.json", std::ios::trunc);
    nlohmann::json t = demo::TruthToJson(truth);
    t["seed"] = options.seed;
    t["tag"] = set.options.tag;
    truth_file << t.dump(2) << "\n";
    if (!leads || !truth_file) return Fail("cannot write into " + out_dir);
    PrintTruth(truth);
    std::printf("wrote %s/leads.jsonl and %s/truth.json\n", out_dir.c_str(), out_dir.c_str());
    return 0;
  }

  auto log = [](const std::string& line) { std::printf("%s\n", line.c_str()); };
  absl::StatusOr<leadflow::v1::RoutingConfig> routing =
      leadflow::handoff::LoadRoutingFile(routing_file);
  if (!routing.ok()) return Fail(std::string(routing.status().message()));
  std::error_code ec;
  std::filesystem::create_directories(work_dir, ec);
  PrintTruth(truth);

  demo::SalesDesk desk(set, endpoints, *routing, log);
  if (absl::Status s = desk.Start(std::chrono::system_clock::now() - std::chrono::minutes(1));
      !s.ok()) {
    return Fail(s.ToString());
  }
  absl::StatusOr<demo::FeedResult> fed = demo::FeedLeads(set, endpoints, work_dir, log);
  if (!fed.ok()) return Fail(fed.status().ToString());
  if (fed->loaded_before) {
    // This data set ran here before: its handoffs were answered then, and nothing new will be
    // handed off.
    std::printf("this data set was loaded before (its leads are repeats); nothing new to answer\n");
    return 0;
  }
  if (absl::Status s = desk.AwaitDone(truth.handoffs, std::chrono::seconds(timeout_s)); !s.ok()) {
    return Fail(StrCat("sales desk: ", s.ToString()));
  }
  desk.Stop();
  std::printf("sales desk: %lld handoffs answered with %lld calls\n",
              static_cast<long long>(truth.handoffs), static_cast<long long>(desk.answered()));
  if (!check) return 0;
  if (absl::Status s = demo::AwaitTruth(truth, endpoints, std::chrono::seconds(timeout_s), log);
      !s.ok()) {
    return 6;
  }
  std::printf("reporting equals the ground truth (funnel, source quality, win-loss)\n");
  return 0;
}
