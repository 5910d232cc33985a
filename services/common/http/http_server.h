// The HTTP side of every service: /healthz (alive), /readyz (ready to serve), /metrics (Prometheus)
// and the JSON routes a service adds. Runs on its own threads; handlers return values, never throw.
// With TLS (HTTPS, certificates reloaded on rotation, client certificates verified as configured)
// every route that serves an API method is authenticated and checked against that method's roles
// (the same security::Guard as gRPC) before its handler runs: 401 without a valid bearer token,
// 403 without a role the method allows. Health, readiness, metrics and static assets are public.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "services/common/metrics/metrics.h"

namespace httplib {
class Server;
}

namespace leadflow::security {
class ServerSecurity;
}

namespace leadflow::http {

struct Request {
  std::string method;
  std::string path;
  std::string body;
  std::map<std::string, std::string> query;
  std::multimap<std::string, std::string> headers;  // names as sent; look up case-insensitively
  std::vector<std::string> path_params;             // the route pattern's capture groups
  // Who called: the name of the bearer token the route's check authenticated ("anonymous" when
  // authentication is off or the route is public); for per-caller limits.
  std::string caller = "anonymous";
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

// Who may call a route: anyone (health, metrics, static assets, which carry no data), or whoever
// may call the gRPC method it serves ("leadflow.v1.IntakeService.SubmitLead"): one policy, the
// method's (leadflow.v1.roles), whichever door a call takes.
struct Access {
  static Access Public() { return Access{}; }
  static Access Method(std::string full_name) { return Access{std::move(full_name)}; }
  std::string method;  // empty: public
};

using Handler = std::function<Response(const Request&)>;

// Readiness: the service says why it is not ready ("restoring state", "kafka unreachable").
class Readiness {
 public:
  void SetReady() { SetNotReady(""); }
  void SetNotReady(std::string reason);
  bool ready() const;
  std::string reason() const;

 private:
  mutable std::mutex mu_;
  std::string reason_ = "starting";
};

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0 = let the kernel pick (tests)
  size_t max_body_bytes = 4 * 1024 * 1024;
  int worker_threads = 4;
  // TLS and authentication; null: plaintext, no authentication. Must outlive the server.
  const security::ServerSecurity* security = nullptr;
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, metrics::Registry* registry, Readiness* readiness);
  ~HttpServer();  // stops and joins
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Adds a route before Start(). `method` is GET, POST, PUT or DELETE; `path` is a regular
  // expression matched against the whole path ("/v1/leads", "/v1/leads/([^/]+)"); its capture
  // groups arrive in Request::path_params; `access` says who may call it.
  void Handle(const std::string& method, const std::string& path, Access access, Handler handler);

  // Binds and starts serving. Fails (Unavailable) with the address when the port cannot be bound.
  absl::Status Start();
  // The bound port (the real one when options.port was 0). Valid after Start().
  int port() const { return port_; }
  // Stops accepting, finishes in-flight requests, joins the server thread. Idempotent.
  void Stop();

 private:
  HttpServerOptions options_;
  metrics::Registry* registry_;
  Readiness* readiness_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<bool> started_{false};
};

}  // namespace leadflow::http
