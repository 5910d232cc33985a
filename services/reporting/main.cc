// leadflow-reporting: the lead-cycle facts on the stream runtime, the reports over gRPC and HTTP
// (JSON, CSV), the dashboard, and the scoring model's periodic training. Wiring only.
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "services/common/config/config_topic.h"
#include "services/common/kafka/sender.h"
#include "services/common/log/log.h"
#include "services/common/service/service_host.h"
#include "services/common/stream/clock.h"
#include "services/reporting/api.h"
#include "services/reporting/processor.h"
#include "services/reporting/trainer.h"

namespace {

using leadflow::config::SettingType;
namespace r = leadflow::reporting;
namespace stream = leadflow::stream;

std::vector<leadflow::config::SettingSpec> ReportingSettings() {
  return {
      {"reporting.stages_file", SettingType::kString, "config/stages.yaml",
       "the stage model used until one is published (funnel order)"},
      {"reporting.comp_file", SettingType::kString, "config/comp.yaml",
       "the comp summary used until one is published (marketing-sourced revenue)"},
      {"reporting.rejected_lead_cost", SettingType::kString, "150 EUR",
       "what a lead sales rejected costs in sales time, '<amount> <currency>' (lead quality's net "
       "value per lead, in the deals' currency)"},
      {"reporting.rows_max_age", SettingType::kDuration, "1s",
       "how stale the facts a report reads may be while they keep changing (they are parsed "
       "once per change, at most this often)"},
      {"reporting.train_interval", SettingType::kDuration, "1h",
       "how often the scoring model is trained on closed deals (0s = never)"},
      {"topics.leads", SettingType::kString, "leadflow.leads.v1", "lead events (input)"},
      {"topics.qualification", SettingType::kString, "leadflow.qualification.v1",
       "scores, MQLs, disqualifications (input)"},
      {"topics.handoffs", SettingType::kString, "leadflow.handoffs.v1",
       "handoffs, sales answers, opportunities (input)"},
      {"topics.recycle", SettingType::kString, "leadflow.recycle.v1",
       "recycled / released / archived (input)"},
      {"topics.config", SettingType::kString, leadflow::config::kConfigTopic,
       "versioned config (global table; the trained model is published here)"},
      {"topics.dlq", SettingType::kString, "leadflow.dlq.v1", "dead-letter topic"},
  };
}

}  // namespace

int main(int argc, char** argv) {
  int exit_code = 0;
  auto host = leadflow::service::ServiceHost::Create(
      argc, argv, {"reporting", 50055, 8085, leadflow::v1::SERVICE_NAME_REPORTING},
      ReportingSettings(), &exit_code);
  if (host == nullptr) return exit_code;
  const leadflow::config::Settings& settings = host->settings();

  r::ReportingTopics topics;
  topics.leads = settings.GetString("topics.leads");
  topics.qualification = settings.GetString("topics.qualification");
  topics.handoffs = settings.GetString("topics.handoffs");
  topics.recycle = settings.GetString("topics.recycle");
  topics.config = settings.GetString("topics.config");

  // "<amount> <currency>", e.g. "150 EUR".
  const std::vector<std::string> cost_parts =
      absl::StrSplit(settings.GetString("reporting.rejected_lead_cost"), ' ', absl::SkipEmpty());
  double cost = 0;
  if (cost_parts.size() != 2 || !absl::SimpleAtod(cost_parts[0], &cost) || cost < 0 ||
      cost_parts[1].size() != 3) {
    leadflow::log::Error(
        "reporting.rejected_lead_cost: not '<non-negative amount> <ISO 4217 code>', e.g. '150 "
        "EUR'");
    return 2;
  }
  auto config = r::LoadReportingConfig(settings.GetString("reporting.stages_file"),
                                       settings.GetString("reporting.comp_file"));
  if (!config.ok()) {
    leadflow::log::Error("config files are invalid",
                         {{"error", std::string(config.status().message())}});
    return 2;
  }

  stream::StreamOptions options = host->StreamDefaults("facts");
  options.input_topics = {topics.leads, topics.qualification, topics.handoffs, topics.recycle};
  options.stores = {r::kCyclesStore, r::kCursorsStore};
  if (options.changelog_topic.empty()) {
    options.changelog_topic = options.application_id + ".state.changelog";
  }
  // The reports read every partition's facts from a replica of the changelog (api.h).
  options.global_tables = {topics.config, options.changelog_topic};
  options.dlq_topic = settings.GetString("topics.dlq");
  auto app = stream::StreamApp::Create(
      options, std::make_unique<r::ReportingProcessor>(&host->registry()), &host->registry());
  auto sender = leadflow::kafka::Sender::Create(host->kafka());
  for (const absl::Status& s : {app.status(), sender.status()}) {
    if (!s.ok()) {
      leadflow::log::Error("startup failed", {{"error", std::string(s.message())}});
      return 1;
    }
  }
  const stream::StreamApp* facts = host->AddStream(std::move(*app));

  r::ReportingCoreOptions core_options;
  core_options.config_topic = topics.config;
  core_options.changelog_topic = options.changelog_topic;
  core_options.rejected_lead_cost_micros = static_cast<int64_t>(cost * 1e6);
  core_options.rejected_lead_cost_currency = cost_parts[1];
  core_options.rows_max_age = settings.GetDuration("reporting.rows_max_age");
  static const stream::SystemClock clock;
  r::ReportingCore core(core_options, facts, std::move(*config), [] { return clock.NowMillis(); });
  r::ReportingGrpcService grpc_service(&core);
  host->grpc().AddService(&grpc_service);
  r::AddHttpRoutes(&core, &host->http());

  r::Trainer trainer(&core, sender->get(), topics.config, [] { return clock.NowMillis(); });
  const auto interval = settings.GetDuration("reporting.train_interval");
  if (interval.count() > 0) {
    host->AddPeriodic("train scoring model", interval, [&trainer] { trainer.RunOnce(); });
  }
  return host->Run();
}
