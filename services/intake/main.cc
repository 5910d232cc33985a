// leadflow-intake: wires settings, the two stream steps (admission of the raw topic, identity of
// the admitted topic), the gRPC and HTTP APIs, health and metrics. All logic lives elsewhere.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <thread>

#include "services/common/config/settings.h"
#include "services/common/http/http_server.h"
#include "services/common/kafka/sender.h"
#include "services/common/log/log.h"
#include "services/common/metrics/metrics.h"
#include "services/common/process/shutdown.h"
#include "services/common/rpc/grpc_server.h"
#include "services/common/stream/stream_app.h"
#include "services/intake/api.h"
#include "services/intake/processors.h"

namespace {

using leadflow::config::SettingType;
namespace stream = leadflow::stream;
namespace log = leadflow::log;

constexpr char kDevSecret[] = "leadflow-local-development-only";

const leadflow::config::SettingsSchema& Schema() {
  static const leadflow::config::SettingsSchema schema{
      "leadflow-intake",
      {
          {"grpc.host", SettingType::kString, "127.0.0.1", "gRPC listen address"},
          {"grpc.port", SettingType::kInt, "50051", "gRPC port", 0, 65535},
          {"http.host", SettingType::kString, "127.0.0.1", "HTTP listen address"},
          {"http.port", SettingType::kInt, "8081",
           "HTTP port (JSON API, /metrics, /healthz, /readyz)", 0, 65535},
          {"data.dir", SettingType::kString, "data/intake", "RocksDB state directory"},
          {"instance.id", SettingType::kString, "0",
           "stable id of this instance (transactional ids; the StatefulSet ordinal)"},
          {"log.level", SettingType::kString, "info", "trace, debug, info, warn, error"},
          {"log.format", SettingType::kString, "text", "text or json"},
          {"intake.lead_id_secret", SettingType::kString, kDevSecret,
           "key of the lead id HMAC; set it once per installation and never change it"},
          {"intake.idempotency_ttl", SettingType::kDuration, "7d",
           "how long a (source_system, idempotency_key) is remembered"},
          {"intake.source_precedence", SettingType::kString, "",
           "comma-separated source systems, highest precedence first (e.g. salesforce,marketo)"},
          {"intake.free_mail_domains", SettingType::kString, "",
           "comma-separated extra free-mail domains"},
          {"intake.ack_timeout", SettingType::kDuration, "15s",
           "how long an API call waits for Kafka to acknowledge before answering UNAVAILABLE"},
          {"topics.raw", SettingType::kString, "leadflow.intake.raw.v1", "raw submissions topic"},
          {"topics.admitted", SettingType::kString, "leadflow.intake.admitted.v1",
           "admitted topic"},
          {"topics.leads", SettingType::kString, "leadflow.leads.v1", "lead events topic"},
          {"topics.dlq", SettingType::kString, "leadflow.dlq.v1", "dead-letter topic"},
      },
      {"kafka."}};
  return schema;
}

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    const size_t b = item.find_first_not_of(" \t");
    const size_t e = item.find_last_not_of(" \t");
    if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
  }
  return out;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

int main(int argc, char** argv) {
  leadflow::process::ShutdownSignal shutdown;  // first: blocks the signals before threads start
  const leadflow::config::SettingsInputs inputs = leadflow::config::InputsFromProcess(argc, argv);
  if (leadflow::config::WantsHelp(inputs.args)) {
    std::printf("%s", leadflow::config::Settings::Help(Schema()).c_str());
    return 0;
  }
  auto settings = leadflow::config::Settings::Load(Schema(), inputs);
  if (!settings.ok()) {
    std::fprintf(stderr, "leadflow-intake: %s\n", std::string(settings.status().message()).c_str());
    return 2;
  }
  auto level = log::ParseLevel(settings->GetString("log.level"));
  auto format = log::ParseFormat(settings->GetString("log.format"));
  if (!level.ok() || !format.ok()) {
    std::fprintf(stderr, "leadflow-intake: log.level or log.format: %s\n",
                 std::string((!level.ok() ? level.status() : format.status()).message()).c_str());
    return 2;
  }
  log::Init("intake", *level, *format);
  for (const std::string& w : settings->warnings()) log::Warn("settings", {{"warning", w}});
  if (settings->GetString("intake.lead_id_secret") == kDevSecret) {
    log::Warn("intake.lead_id_secret is the development default; set a secret for real data");
  }

  const leadflow::kafka::Properties kafka = settings->WithPrefix("kafka.");
  const std::string data_dir = settings->GetString("data.dir");
  const std::string instance = settings->GetString("instance.id");
  leadflow::metrics::Registry registry;

  leadflow::intake::AdmissionOptions admission;
  admission.lead_id_secret = settings->GetString("intake.lead_id_secret");
  for (const std::string& d : SplitList(settings->GetString("intake.free_mail_domains"))) {
    admission.extra_free_mail_domains.insert(d);
  }
  leadflow::intake::MergePolicy policy;
  policy.source_precedence = SplitList(settings->GetString("intake.source_precedence"));

  // Step 1: admission of the raw topic (stateless). Step 2: identity (stateful).
  stream::StreamOptions admit;
  admit.application_id = "leadflow-intake-admission";
  admit.instance_id = instance;
  admit.input_topics = {settings->GetString("topics.raw")};
  admit.dlq_topic = settings->GetString("topics.dlq");
  admit.service = leadflow::v1::SERVICE_NAME_INTAKE;
  admit.state_dir = (std::filesystem::path(data_dir) / "admission").string();
  admit.kafka = kafka;
  stream::StreamOptions identify = admit;
  identify.application_id = "leadflow-intake-identity";
  identify.input_topics = {settings->GetString("topics.admitted")};
  identify.stores = {leadflow::intake::kLeadsStore, leadflow::intake::kSubmissionsStore};
  identify.state_dir = (std::filesystem::path(data_dir) / "identity").string();

  auto admission_app =
      stream::StreamApp::Create(admit,
                                std::make_unique<leadflow::intake::AdmissionProcessor>(
                                    settings->GetString("topics.admitted"), admission, &registry),
                                &registry);
  auto identity_app = stream::StreamApp::Create(
      identify,
      std::make_unique<leadflow::intake::IdentityProcessor>(
          settings->GetString("topics.leads"), policy,
          settings->GetDuration("intake.idempotency_ttl").count(), &registry),
      &registry);
  auto sender = leadflow::kafka::Sender::Create(kafka);
  for (const absl::Status& s : {admission_app.status(), identity_app.status(), sender.status()}) {
    if (!s.ok()) {
      log::Error("startup failed", {{"error", std::string(s.message())}});
      return 1;
    }
  }

  leadflow::intake::IntakeCoreOptions core_options;
  core_options.admitted_topic = settings->GetString("topics.admitted");
  core_options.admission = admission;
  core_options.ack_timeout = settings->GetDuration("intake.ack_timeout");
  leadflow::intake::IntakeCore core(core_options, sender->get(), identity_app->get(), &registry,
                                    NowMs);
  leadflow::intake::IntakeGrpcService grpc_service(&core);

  leadflow::http::Readiness readiness;
  leadflow::http::HttpServerOptions http_options;
  http_options.host = settings->GetString("http.host");
  http_options.port = static_cast<int>(settings->GetInt("http.port"));
  leadflow::http::HttpServer http(http_options, &registry, &readiness);
  leadflow::intake::AddHttpRoutes(&core, &http);
  leadflow::rpc::GrpcServerOptions grpc_options;
  grpc_options.host = settings->GetString("grpc.host");
  grpc_options.port = static_cast<int>(settings->GetInt("grpc.port"));
  leadflow::rpc::GrpcServer grpc(grpc_options);
  grpc.AddService(&grpc_service);
  for (const absl::Status& s : {http.Start(), grpc.Start()}) {
    if (!s.ok()) {
      log::Error("startup failed", {{"error", std::string(s.message())}});
      return 1;
    }
  }
  log::Info("intake listening", {{"grpc_port", grpc.port()}, {"http_port", http.port()}});

  // Each step runs on its own thread; either failing stops the process (the orchestrator restarts).
  std::atomic<bool> stop{false};
  absl::Status admission_result;
  absl::Status identity_result;
  std::thread admission_thread([&] {
    admission_result = (*admission_app)->Run(stop);
    shutdown.Request();
  });
  std::thread identity_thread([&] {
    identity_result = (*identity_app)->Run(stop);
    shutdown.Request();
  });
  // Ready once both steps have tasks (restored and processing).
  while (!shutdown.WaitFor(std::chrono::milliseconds(200))) {
    const bool running =
        !(*admission_app)->ActiveTasks().empty() && !(*identity_app)->ActiveTasks().empty();
    if (running && !readiness.ready()) {
      readiness.SetReady();
      grpc.SetServing(true);
      log::Info("intake ready");
    } else if (!running && readiness.ready()) {
      readiness.SetNotReady("stream tasks not assigned (rebalancing or restoring)");
      grpc.SetServing(false);
    }
  }
  log::Info("intake stopping");
  readiness.SetNotReady("stopping");
  grpc.SetServing(false);
  grpc.Shutdown();
  http.Stop();
  stop.store(true);
  admission_thread.join();
  identity_thread.join();
  if (!admission_result.ok() || !identity_result.ok()) {
    log::Error("intake failed", {{"admission", std::string(admission_result.message())},
                                 {"identity", std::string(identity_result.message())}});
    return 1;
  }
  return 0;
}
