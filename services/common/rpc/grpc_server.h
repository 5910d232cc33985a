// The gRPC side of every service: one server with the standard health service (grpc.health.v1)
// and server reflection, on a configurable address (port 0 in tests). With TLS the certificate
// files are watched and reloaded, client certificates are verified as configured, and every call
// but the health checks is authenticated and checked against the method's roles before it
// reaches the service (security::Guard; refusals are UNAUTHENTICATED / PERMISSION_DENIED).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace grpc {
class Server;
class Service;
}  // namespace grpc

namespace leadflow::security {
class ServerSecurity;
}

namespace leadflow::rpc {

struct GrpcServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0 = let the kernel pick
  int max_receive_message_bytes = 4 * 1024 * 1024;
  // TLS and authentication; null: plaintext, no authentication. Must outlive the server.
  const security::ServerSecurity* security = nullptr;
};

class GrpcServer {
 public:
  explicit GrpcServer(GrpcServerOptions options);
  ~GrpcServer();  // shuts down if still running
  GrpcServer(const GrpcServer&) = delete;
  GrpcServer& operator=(const GrpcServer&) = delete;

  // Registers a service before Start(); the service must outlive the server.
  void AddService(grpc::Service* service);

  // Binds and starts. Fails (Unavailable) naming the address when it cannot listen. The health
  // service starts NOT_SERVING; call SetServing(true) once the service is ready.
  absl::Status Start();
  int port() const { return port_; }

  // Health of the whole server ("") and of every registered service name: readiness, SERVING only
  // while the service can do its work (Kubernetes' readiness probe asks for "").
  void SetServing(bool serving);

  // The health service name a liveness probe asks for: SERVING from Start() until Shutdown(),
  // whatever SetServing says, so a service that is rebalancing or restoring its state (not ready)
  // is not restarted for it.
  static constexpr char kLivenessService[] = "leadflow.liveness";

  // Stops accepting calls and waits up to `grace_ms` for in-flight calls, then cancels them.
  void Shutdown(int grace_ms = 5000);

 private:
  GrpcServerOptions options_;
  std::vector<grpc::Service*> services_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace leadflow::rpc
