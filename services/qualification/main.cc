// leadflow-qualification: the qualification stream step (scores, MQL and disqualification gates)
// and its gRPC and HTTP APIs, on the common service host. Wiring only.
#include "services/common/config/config_topic.h"
#include "services/common/kafka/sender.h"
#include "services/common/log/log.h"
#include "services/common/service/service_host.h"
#include "services/common/stream/clock.h"
#include "services/qualification/api.h"
#include "services/qualification/processor.h"

namespace {

using leadflow::config::SettingType;
namespace q = leadflow::qualification;
namespace stream = leadflow::stream;

std::vector<leadflow::config::SettingSpec> QualificationSettings() {
  return {
      {"qualification.icp_file", SettingType::kString, "config/icp.yaml",
       "the ICP used until one is published to the config topic"},
      {"qualification.stages_file", SettingType::kString, "config/stages.yaml",
       "the stage model used until one is published to the config topic"},
      {"qualification.nurture_file", SettingType::kString, "config/nurture.yaml",
       "the nurture tracks (which disqualifications may be nurtured; recycle reads the same "
       "file) until published to the config topic; empty: none"},
      {"qualification.ack_timeout", SettingType::kDuration, "15s",
       "how long Rescore waits for Kafka to acknowledge its commands"},
      {"topics.leads", SettingType::kString, "leadflow.leads.v1", "lead events (input)"},
      {"topics.recycle", SettingType::kString, "leadflow.recycle.v1", "recycle events (input)"},
      {"topics.commands", SettingType::kString, "leadflow.qualification.commands.v1",
       "re-score commands (input)"},
      {"topics.qualification", SettingType::kString, "leadflow.qualification.v1",
       "scored / qualified / disqualified (output)"},
      {"topics.config", SettingType::kString, leadflow::config::kConfigTopic,
       "versioned config (global table)"},
      {"topics.accounts", SettingType::kString, "leadflow.accounts.v1",
       "accounts by domain (global table); empty = not used"},
      {"topics.dlq", SettingType::kString, "leadflow.dlq.v1", "dead-letter topic"},
  };
}

}  // namespace

int main(int argc, char** argv) {
  int exit_code = 0;
  auto host = leadflow::service::ServiceHost::Create(
      argc, argv, {"qualification", 50052, 8082, leadflow::v1::SERVICE_NAME_QUALIFICATION},
      QualificationSettings(), &exit_code);
  if (host == nullptr) return exit_code;
  const leadflow::config::Settings& settings = host->settings();

  q::QualificationTopics topics;
  topics.leads = settings.GetString("topics.leads");
  topics.recycle = settings.GetString("topics.recycle");
  topics.commands = settings.GetString("topics.commands");
  topics.output = settings.GetString("topics.qualification");
  topics.config = settings.GetString("topics.config");
  topics.accounts = settings.GetString("topics.accounts");

  // Two config sources from the same files: one for the stream thread, one for the API.
  auto processor_config = q::ConfigSource::Create(settings.GetString("qualification.icp_file"),
                                                  settings.GetString("qualification.stages_file"),
                                                  settings.GetString("qualification.nurture_file"));
  auto api_config = q::ConfigSource::Create(settings.GetString("qualification.icp_file"),
                                            settings.GetString("qualification.stages_file"),
                                            settings.GetString("qualification.nurture_file"));
  for (const absl::Status& s : {processor_config.status(), api_config.status()}) {
    if (!s.ok()) {
      leadflow::log::Error("config files are invalid", {{"error", std::string(s.message())}});
      return 2;
    }
  }

  stream::StreamOptions options = host->StreamDefaults("scoring");
  options.input_topics = {topics.leads, topics.recycle, topics.commands};
  options.stores = {q::kLeadsStore};
  options.global_tables = {topics.config};
  if (!topics.accounts.empty()) options.global_tables.push_back(topics.accounts);
  options.dlq_topic = settings.GetString("topics.dlq");
  auto app = stream::StreamApp::Create(options,
                                       std::make_unique<q::QualificationProcessor>(
                                           topics, std::move(*processor_config), &host->registry()),
                                       &host->registry());
  auto sender = leadflow::kafka::Sender::Create(host->kafka());
  for (const absl::Status& s : {app.status(), sender.status()}) {
    if (!s.ok()) {
      leadflow::log::Error("startup failed", {{"error", std::string(s.message())}});
      return 1;
    }
  }
  const stream::StreamApp* scoring = host->AddStream(std::move(*app));

  q::QualificationCoreOptions core_options;
  core_options.commands_topic = topics.commands;
  core_options.config_topic = topics.config;
  core_options.ack_timeout = settings.GetDuration("qualification.ack_timeout");
  static const stream::SystemClock clock;
  q::QualificationCore core(core_options, scoring, std::move(*api_config), sender->get(),
                            [] { return clock.NowMillis(); });
  q::QualificationGrpcService grpc_service(&core);
  host->grpc().AddService(&grpc_service);
  q::AddHttpRoutes(&core, &host->http());
  return host->Run();
}
