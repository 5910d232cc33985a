// The process around a leadflow service: settings (the common ones every service has plus its
// own), logging, metrics, the gRPC and HTTP servers, one thread per stream app, readiness, and the
// shutdown sequence (SIGTERM: not ready → stop serving → stop the streams, which commit and leave
// their groups → exit 0; a fatal stream error → exit 1 for the orchestrator to restart).
// A service's main() declares its settings, builds its processors and API, and calls Run().
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/common/config/settings.h"
#include "services/common/http/http_server.h"
#include "services/common/metrics/metrics.h"
#include "services/common/process/shutdown.h"
#include "services/common/rpc/grpc_server.h"
#include "services/common/security/server_security.h"
#include "services/common/stream/stream_app.h"

namespace leadflow::service {

struct ServiceDefaults {
  std::string name;  // "intake": binary leadflow-<name>, log name, data dir data/<name>
  int grpc_port = 0;
  int http_port = 0;
  v1::ServiceName service = v1::SERVICE_NAME_UNSPECIFIED;
};

class ServiceHost {
 public:
  // Loads settings from argv/env/file: grpc.host/port, http.host/port, data.dir, instance.id,
  // log.level/format, tls.* and auth.* (security::SecuritySettingSpecs), kafka.* and `extra`.
  // Returns nullptr and sets `exit_code` (0 after --help, 2 on bad settings) when the process
  // should exit at once.
  static std::unique_ptr<ServiceHost> Create(int argc, char** argv, const ServiceDefaults& defaults,
                                             std::vector<config::SettingSpec> extra,
                                             int* exit_code);

  const config::Settings& settings() const { return *settings_; }
  metrics::Registry& registry() { return registry_; }
  kafka::Properties kafka() const { return settings_->WithPrefix("kafka."); }

  // Options for the stream app `step` of this service: application id "<application.id>-<step>"
  // (consumer group, transactional id prefix, changelog "<application id>.state.changelog"), this
  // instance's id, the Kafka properties, its own state directory under data.dir, the service name.
  stream::StreamOptions StreamDefaults(const std::string& step) const;

  // Adds a stream app; Run() runs it on its own thread. The host keeps it alive.
  stream::StreamApp* AddStream(std::unique_ptr<stream::StreamApp> app);

  // Runs `job` every `period` (the first time one period after the start) on a thread of its own
  // while the service runs (a periodic background job, e.g. reporting's model training). Run()
  // waits for a job in progress at shutdown; a job should not run much longer than a period.
  void AddPeriodic(std::string name, std::chrono::milliseconds period, std::function<void()> job);

  // The servers, for registering gRPC services and HTTP routes before Run().
  rpc::GrpcServer& grpc() { return *grpc_; }
  http::HttpServer& http() { return *http_; }
  // Who is calling (security::Guard::CallerOf), for per-caller limits in a service's API.
  const security::Guard& guard() const { return security_->guard(); }

  // Starts the servers and the streams, reports ready once every stream runs tasks, and blocks
  // until SIGTERM/SIGINT or a fatal stream error. Returns the process exit code.
  int Run();

 private:
  ServiceHost(ServiceDefaults defaults, config::Settings settings,
              std::unique_ptr<process::ShutdownSignal> shutdown);
  // Loads the certificates and tokens and creates the two servers with them.
  absl::Status InitServers(const security::SecurityOptions& options);

  ServiceDefaults defaults_;
  std::unique_ptr<config::Settings> settings_;
  std::unique_ptr<process::ShutdownSignal> shutdown_;
  metrics::Registry registry_;
  http::Readiness readiness_;
  std::unique_ptr<security::ServerSecurity> security_;  // outlives the servers (declared first)
  std::unique_ptr<http::HttpServer> http_;
  std::unique_ptr<rpc::GrpcServer> grpc_;
  std::vector<std::unique_ptr<stream::StreamApp>> streams_;
  struct Periodic {
    std::string name;
    std::chrono::milliseconds period;
    std::function<void()> job;
  };
  std::vector<Periodic> periodic_;
};

}  // namespace leadflow::service
