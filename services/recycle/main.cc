// leadflow-recycle: the reverse-handoff stream step (nurture tracks, re-checks, release into a new
// cycle, archive) and its gRPC and HTTP APIs, on the common service host. Wiring only.
#include "services/common/config/config_topic.h"
#include "services/common/kafka/sender.h"
#include "services/common/log/log.h"
#include "services/common/service/service_host.h"
#include "services/common/stream/clock.h"
#include "services/recycle/api.h"
#include "services/recycle/processor.h"

namespace {

using leadflow::config::SettingType;
namespace r = leadflow::recycle;
namespace stream = leadflow::stream;

std::vector<leadflow::config::SettingSpec> RecycleSettings() {
  return {
      {"recycle.nurture_file", SettingType::kString, "config/nurture.yaml",
       "nurture tracks used until they are published to the config topic"},
      {"recycle.stages_file", SettingType::kString, "config/stages.yaml",
       "the stage model used until one is published"},
      {"recycle.ack_timeout", SettingType::kDuration, "15s",
       "how long an ops request waits for Kafka to acknowledge it"},
      {"recycle.apply_timeout", SettingType::kDuration, "30s",
       "how long an ops request waits for the processor to apply it"},
      {"topics.leads", SettingType::kString, "leadflow.leads.v1", "lead events (input)"},
      {"topics.qualification", SettingType::kString, "leadflow.qualification.v1",
       "scores, MQLs, disqualifications (input)"},
      {"topics.handoffs", SettingType::kString, "leadflow.handoffs.v1",
       "the sales side: rejections, lost deals (input)"},
      {"topics.commands", SettingType::kString, "leadflow.recycle.commands.v1",
       "ops release/recycle requests (input)"},
      {"topics.recycle", SettingType::kString, "leadflow.recycle.v1",
       "recycled / released / archived (output)"},
      {"topics.config", SettingType::kString, leadflow::config::kConfigTopic,
       "versioned config (global table)"},
      {"topics.dlq", SettingType::kString, "leadflow.dlq.v1", "dead-letter topic"},
  };
}

}  // namespace

int main(int argc, char** argv) {
  int exit_code = 0;
  auto host = leadflow::service::ServiceHost::Create(
      argc, argv, {"recycle", 50054, 8084, leadflow::v1::SERVICE_NAME_RECYCLE}, RecycleSettings(),
      &exit_code);
  if (host == nullptr) return exit_code;
  const leadflow::config::Settings& settings = host->settings();

  r::RecycleTopics topics;
  topics.leads = settings.GetString("topics.leads");
  topics.qualification = settings.GetString("topics.qualification");
  topics.handoffs = settings.GetString("topics.handoffs");
  topics.commands = settings.GetString("topics.commands");
  topics.output = settings.GetString("topics.recycle");
  topics.config = settings.GetString("topics.config");

  const std::string nurture_file = settings.GetString("recycle.nurture_file");
  const std::string stages_file = settings.GetString("recycle.stages_file");
  // Two config sources from the same files: one for the stream thread, one for the API.
  auto processor_config = r::LoadRecycleConfig(nurture_file, stages_file);
  auto api_config = r::LoadRecycleConfig(nurture_file, stages_file);
  for (const absl::Status& s : {processor_config.status(), api_config.status()}) {
    if (!s.ok()) {
      leadflow::log::Error("config files are invalid", {{"error", std::string(s.message())}});
      return 2;
    }
  }

  stream::StreamOptions options = host->StreamDefaults("nurture");
  options.input_topics = {topics.leads, topics.qualification, topics.handoffs, topics.commands};
  options.stores = {r::kNurtureStore};
  options.global_tables = {topics.config};
  options.dlq_topic = settings.GetString("topics.dlq");
  auto app = stream::StreamApp::Create(options,
                                       std::make_unique<r::RecycleProcessor>(
                                           topics, std::move(*processor_config), &host->registry()),
                                       &host->registry());
  auto sender = leadflow::kafka::Sender::Create(host->kafka());
  for (const absl::Status& s : {app.status(), sender.status()}) {
    if (!s.ok()) {
      leadflow::log::Error("startup failed", {{"error", std::string(s.message())}});
      return 1;
    }
  }
  const stream::StreamApp* nurture = host->AddStream(std::move(*app));

  r::RecycleCoreOptions core_options;
  core_options.commands_topic = topics.commands;
  core_options.recycle_topic = topics.output;
  core_options.config_topic = topics.config;
  core_options.ack_timeout = settings.GetDuration("recycle.ack_timeout");
  core_options.apply_timeout = settings.GetDuration("recycle.apply_timeout");
  core_options.kafka = host->kafka();
  static const stream::SystemClock clock;
  r::RecycleCore core(core_options, nurture, std::move(*api_config), sender->get(),
                      [] { return clock.NowMillis(); });
  r::RecycleGrpcService grpc_service(&core);
  host->grpc().AddService(&grpc_service);
  r::AddHttpRoutes(&core, &host->http());
  return host->Run();
}
