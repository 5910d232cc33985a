// The HTTP side of every service: /healthz (alive), /readyz (ready to serve), /metrics (Prometheus)
// and the JSON routes a service adds. Runs on its own threads; handlers return values, never throw.
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

namespace leadflow::http {

struct Request {
  std::string method;
  std::string path;
  std::string body;
  std::map<std::string, std::string> query;
  std::multimap<std::string, std::string> headers;  // names as sent; look up case-insensitively
  std::vector<std::string> path_params;             // the route pattern's capture groups
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
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
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, metrics::Registry* registry, Readiness* readiness);
  ~HttpServer();  // stops and joins
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Adds a route before Start(). `method` is GET, POST, PUT or DELETE; `path` is a regular
  // expression matched against the whole path ("/v1/leads", "/v1/leads/([^/]+)"); its capture
  // groups arrive in Request::path_params.
  void Handle(const std::string& method, const std::string& path, Handler handler);

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
