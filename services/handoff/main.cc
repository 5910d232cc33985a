// leadflow-handoff: the handoff stream step (routing, the SLA, sales answers) and its gRPC and
// HTTP APIs, on the common service host. Wiring only.
#include "services/common/config/config_topic.h"
#include "services/common/kafka/sender.h"
#include "services/common/log/log.h"
#include "services/common/service/service_host.h"
#include "services/common/stream/clock.h"
#include "services/handoff/api.h"
#include "services/handoff/processor.h"

namespace {

using leadflow::config::SettingType;
namespace h = leadflow::handoff;
namespace stream = leadflow::stream;

std::vector<leadflow::config::SettingSpec> HandoffSettings() {
  return {
      {"handoff.routing_file", SettingType::kString, "config/routing.yaml",
       "routing used until one is published to the config topic"},
      {"handoff.sla_file", SettingType::kString, "config/sla.yaml",
       "the acceptance SLA used until one is published"},
      {"handoff.stages_file", SettingType::kString, "config/stages.yaml",
       "the stage model used until one is published"},
      {"handoff.comp_file", SettingType::kString, "config/comp.yaml",
       "the comp summary used until one is published; empty = none"},
      {"handoff.ack_timeout", SettingType::kDuration, "15s",
       "how long a sales answer waits for Kafka to acknowledge it"},
      {"handoff.apply_timeout", SettingType::kDuration, "30s",
       "how long a sales answer waits for the processor to apply it"},
      {"topics.qualification", SettingType::kString, "leadflow.qualification.v1",
       "MQLs and disqualifications (input)"},
      {"topics.feedback", SettingType::kString, "leadflow.sales-feedback.v1",
       "sales answers (input)"},
      {"topics.recycle", SettingType::kString, "leadflow.recycle.v1",
       "recycled leads, withdrawn from sales (input)"},
      {"topics.routing", SettingType::kString, "leadflow.handoff.routing.v1",
       "routing requests (internal)"},
      {"topics.assignments", SettingType::kString, "leadflow.handoff.assignments.v1",
       "routing answers (internal)"},
      {"topics.handoffs", SettingType::kString, "leadflow.handoffs.v1",
       "the public handoff events (output)"},
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
      argc, argv, {"handoff", 50053, 8083, leadflow::v1::SERVICE_NAME_HANDOFF}, HandoffSettings(),
      &exit_code);
  if (host == nullptr) return exit_code;
  const leadflow::config::Settings& settings = host->settings();

  h::HandoffTopics topics;
  topics.qualification = settings.GetString("topics.qualification");
  topics.feedback = settings.GetString("topics.feedback");
  topics.recycle = settings.GetString("topics.recycle");
  topics.routing = settings.GetString("topics.routing");
  topics.assignments = settings.GetString("topics.assignments");
  topics.output = settings.GetString("topics.handoffs");
  topics.config = settings.GetString("topics.config");
  topics.accounts = settings.GetString("topics.accounts");

  h::HandoffFiles files;
  files.routing = settings.GetString("handoff.routing_file");
  files.sla = settings.GetString("handoff.sla_file");
  files.stages = settings.GetString("handoff.stages_file");
  files.comp = settings.GetString("handoff.comp_file");
  // Two config sources from the same files: one for the stream thread, one for the API.
  auto processor_config = h::LoadHandoffConfig(files);
  auto api_config = h::LoadHandoffConfig(files);
  for (const absl::Status& s : {processor_config.status(), api_config.status()}) {
    if (!s.ok()) {
      leadflow::log::Error("config files are invalid", {{"error", std::string(s.message())}});
      return 2;
    }
  }

  stream::StreamOptions options = host->StreamDefaults("handoff");
  options.input_topics = {topics.qualification, topics.feedback, topics.recycle, topics.routing,
                          topics.assignments};
  options.stores = {h::kHandoffsStore, h::kRouterStore};
  options.global_tables = {topics.config};
  if (!topics.accounts.empty()) options.global_tables.push_back(topics.accounts);
  options.dlq_topic = settings.GetString("topics.dlq");
  auto app = stream::StreamApp::Create(options,
                                       std::make_unique<h::HandoffProcessor>(
                                           topics, std::move(*processor_config), &host->registry()),
                                       &host->registry());
  auto sender = leadflow::kafka::Sender::Create(host->kafka());
  for (const absl::Status& s : {app.status(), sender.status()}) {
    if (!s.ok()) {
      leadflow::log::Error("startup failed", {{"error", std::string(s.message())}});
      return 1;
    }
  }
  const stream::StreamApp* handoffs = host->AddStream(std::move(*app));

  h::HandoffCoreOptions core_options;
  core_options.feedback_topic = topics.feedback;
  core_options.handoffs_topic = topics.output;
  core_options.config_topic = topics.config;
  core_options.ack_timeout = settings.GetDuration("handoff.ack_timeout");
  core_options.apply_timeout = settings.GetDuration("handoff.apply_timeout");
  core_options.kafka = host->kafka();
  static const stream::SystemClock clock;
  h::HandoffCore core(core_options, handoffs, std::move(*api_config), sender->get(),
                      [] { return clock.NowMillis(); });
  h::HandoffGrpcService grpc_service(&core);
  host->grpc().AddService(&grpc_service);
  h::AddHttpRoutes(&core, &host->http());
  return host->Run();
}
