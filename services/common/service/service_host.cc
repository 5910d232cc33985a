#include "services/common/service/service_host.h"

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <thread>

#include "librdkafka/rdkafkacpp.h"
#include "services/common/base/status_macros.h"
#include "services/common/base/strings.h"
#include "services/common/log/log.h"
#include "services/common/state/store.h"

namespace leadflow::service {

std::unique_ptr<ServiceHost> ServiceHost::Create(int argc, char** argv, const ServiceDefaults& d,
                                                 std::vector<config::SettingSpec> extra,
                                                 int* exit_code) {
  // First: blocks the termination signals before any thread exists.
  auto shutdown = std::make_unique<process::ShutdownSignal>();
  using config::SettingType;
  config::SettingsSchema schema{
      StrCat("leadflow-", d.name),
      {
          {"grpc.host", SettingType::kString, "127.0.0.1", "gRPC listen address"},
          {"grpc.port", SettingType::kInt, std::to_string(d.grpc_port),
           "gRPC port (0: any free port)", 0, 65535},
          {"http.host", SettingType::kString, "127.0.0.1", "HTTP listen address"},
          {"http.port", SettingType::kInt, std::to_string(d.http_port),
           "HTTP port: JSON API, /metrics, /healthz, /readyz (0: any free port)", 0, 65535},
          {"data.dir", SettingType::kString, StrCat("data/", d.name), "RocksDB state directory"},
          {"application.id", SettingType::kString, StrCat("leadflow-", d.name),
           "prefix of the stream apps' consumer groups, transactional ids and changelog topics; "
           "the same for every instance of the service, different per installation on one cluster"},
          {"instance.id", SettingType::kString, "0",
           "stable id of this instance: part of its transactional ids (the StatefulSet ordinal)"},
          {"stream.commit_interval", SettingType::kDuration, "100ms",
           "how often the stream steps commit (shorter: lower latency, smaller transactions)"},
          {"state.memory_mb", SettingType::kInt, "256",
           "RocksDB memory of the whole process (block cache, index/filter blocks and memtables of "
           "every store, shared), MiB",
           16, 1 << 20},
          {"state.erasure_max_lag", SettingType::kDuration, "24h",
           "bound on how long an erased person's values stay in the changelog topics "
           "(max.compaction.lag.ms of the changelogs leadflow creates; the segment is rolled after "
           "it), besides the event topics' retention"},
          {"log.level", SettingType::kString, "info", "trace, debug, info, warn, error"},
          {"log.format", SettingType::kString, "text", "text or json (JSON lines)"},
      },
      {"kafka."}};
  for (config::SettingSpec& spec : security::SecuritySettingSpecs()) {
    schema.settings.push_back(std::move(spec));
  }
  for (config::SettingSpec& spec : extra) schema.settings.push_back(std::move(spec));

  const config::SettingsInputs inputs = config::InputsFromProcess(argc, argv);
  if (config::WantsHelp(inputs.args)) {
    std::printf("%s", config::Settings::Help(schema).c_str());
    *exit_code = 0;
    return nullptr;
  }
  absl::StatusOr<config::Settings> settings = config::Settings::Load(schema, inputs);
  if (!settings.ok()) {
    std::fprintf(stderr, "%s: %s\n", schema.program.c_str(),
                 std::string(settings.status().message()).c_str());
    *exit_code = 2;
    return nullptr;
  }
  auto level = log::ParseLevel(settings->GetString("log.level"));
  auto format = log::ParseFormat(settings->GetString("log.format"));
  if (!level.ok() || !format.ok()) {
    std::fprintf(stderr, "%s: %s\n", schema.program.c_str(),
                 std::string((!level.ok() ? level.status() : format.status()).message()).c_str());
    *exit_code = 2;
    return nullptr;
  }
  std::vector<std::string> security_warnings;
  absl::StatusOr<security::SecurityOptions> security =
      security::SecurityOptionsFrom(*settings, &security_warnings);
  if (!security.ok()) {
    std::fprintf(stderr, "%s: %s\n", schema.program.c_str(),
                 std::string(security.status().message()).c_str());
    *exit_code = 2;
    return nullptr;
  }
  log::Init(d.name, *level, *format);
  state::SetProcessMemoryBudget(static_cast<size_t>(settings->GetInt("state.memory_mb")) << 20);
  for (const std::string& w : settings->warnings()) log::Warn("settings", {{"warning", w}});
  for (const std::string& w : security_warnings) log::Warn("security", {{"warning", w}});
  if (const std::string issue =
          kafka::KnownClientIssue(settings->WithPrefix("kafka."), RdKafka::version());
      !issue.empty()) {
    log::Warn("kafka client", {{"warning", issue}});
  }
  std::unique_ptr<ServiceHost> host(new ServiceHost(d, std::move(*settings), std::move(shutdown)));
  if (absl::Status s = host->InitServers(*security); !s.ok()) {
    log::Error("startup failed", {{"error", std::string(s.message())}});
    *exit_code = 2;
    return nullptr;
  }
  return host;
}

ServiceHost::ServiceHost(ServiceDefaults defaults, config::Settings settings,
                         std::unique_ptr<process::ShutdownSignal> shutdown)
    : defaults_(std::move(defaults)),
      settings_(std::make_unique<config::Settings>(std::move(settings))),
      shutdown_(std::move(shutdown)) {}

absl::Status ServiceHost::InitServers(const security::SecurityOptions& options) {
  LF_ASSIGN_OR_RETURN(security_, security::ServerSecurity::Create(options, &registry_));
  http::HttpServerOptions h;
  h.host = settings_->GetString("http.host");
  h.port = static_cast<int>(settings_->GetInt("http.port"));
  h.security = security_.get();
  http_ = std::make_unique<http::HttpServer>(h, &registry_, &readiness_);
  rpc::GrpcServerOptions g;
  g.host = settings_->GetString("grpc.host");
  g.port = static_cast<int>(settings_->GetInt("grpc.port"));
  g.security = security_.get();
  grpc_ = std::make_unique<rpc::GrpcServer>(g);
  return absl::OkStatus();
}

stream::StreamOptions ServiceHost::StreamDefaults(const std::string& step) const {
  stream::StreamOptions o;
  const std::string application_id = StrCat(settings_->GetString("application.id"), "-", step);
  o.application_id = application_id;
  o.instance_id = settings_->GetString("instance.id");
  o.kafka = kafka();
  o.service = defaults_.service;
  o.state_dir = (std::filesystem::path(settings_->GetString("data.dir")) / application_id).string();
  o.commit_interval = settings_->GetDuration("stream.commit_interval");
  o.erasure_max_lag = settings_->GetDuration("state.erasure_max_lag");
  return o;
}

stream::StreamApp* ServiceHost::AddStream(std::unique_ptr<stream::StreamApp> app) {
  streams_.push_back(std::move(app));
  return streams_.back().get();
}

void ServiceHost::AddPeriodic(std::string name, std::chrono::milliseconds period,
                              std::function<void()> job) {
  periodic_.push_back({std::move(name), period, std::move(job)});
}

int ServiceHost::Run() {
  for (const absl::Status& s : {http_->Start(), grpc_->Start()}) {
    if (!s.ok()) {
      log::Error("startup failed", {{"error", std::string(s.message())}});
      return 1;
    }
  }
  log::Info(StrCat(defaults_.name, " listening"),
            {{"grpc_port", grpc_->port()}, {"http_port", http_->port()}});

  std::atomic<bool> stop{false};
  std::vector<absl::Status> results(streams_.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < streams_.size(); ++i) {
    threads.emplace_back([&, i] {
      results[i] = streams_[i]->Run(stop);
      shutdown_->Request();  // one stream ending (fatal or not) ends the process
    });
  }
  std::mutex periodic_mu;
  std::condition_variable periodic_stop;
  bool stopping = false;
  for (const Periodic& p : periodic_) {
    threads.emplace_back([&, p] {
      std::unique_lock<std::mutex> lock(periodic_mu);
      while (!periodic_stop.wait_for(lock, p.period, [&] { return stopping; })) {
        lock.unlock();
        log::Debug("periodic job", {{"job", p.name}});
        p.job();
        lock.lock();
      }
    });
  }
  // Ready while every stream runs tasks (restored and processing).
  while (!shutdown_->WaitFor(std::chrono::milliseconds(200))) {
    bool running = true;
    for (const auto& s : streams_) running = running && !s->ActiveTasks().empty();
    if (running && !readiness_.ready()) {
      readiness_.SetReady();
      grpc_->SetServing(true);
      log::Info(StrCat(defaults_.name, " ready"));
    } else if (!running && readiness_.ready()) {
      readiness_.SetNotReady("stream tasks not assigned (rebalancing or restoring)");
      grpc_->SetServing(false);
    }
  }
  log::Info(StrCat(defaults_.name, " stopping"));
  readiness_.SetNotReady("stopping");
  grpc_->SetServing(false);
  grpc_->Shutdown();
  http_->Stop();
  stop.store(true);
  {
    std::lock_guard<std::mutex> lock(periodic_mu);
    stopping = true;
  }
  periodic_stop.notify_all();
  for (std::thread& t : threads) t.join();
  int code = 0;
  for (size_t i = 0; i < results.size(); ++i) {
    if (!results[i].ok()) {
      log::Error("stream failed", {{"stream", static_cast<int64_t>(i)},
                                   {"error", std::string(results[i].message())}});
      code = 1;
    }
  }
  return code;
}

}  // namespace leadflow::service
