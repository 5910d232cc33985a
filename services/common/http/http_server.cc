// HTTP server on cpp-httplib with the standard leadflow endpoints.
#include "services/common/http/http_server.h"

#include <chrono>

#include "httplib.h"
#include "services/common/base/status_macros.h"
#include "services/common/base/strings.h"
#include "services/common/http/json_api.h"
#include "services/common/log/log.h"
#include "services/common/security/server_security.h"

namespace leadflow::http {
namespace {

Request ToRequest(const httplib::Request& req) {
  Request out;
  out.method = req.method;
  out.path = req.path;
  out.body = req.body;
  for (const auto& [k, v] : req.params) out.query.emplace(k, v);
  for (const auto& [k, v] : req.headers) out.headers.emplace(k, v);
  for (size_t i = 1; i < req.matches.size(); ++i) out.path_params.push_back(req.matches[i].str());
  return out;
}

void Apply(const Response& from, httplib::Response* to) {
  to->status = from.status;
  to->set_content(from.body, from.content_type.c_str());
}

std::unique_ptr<httplib::Server> MakeServer(const security::ServerSecurity* security) {
  if (security == nullptr || security->plaintext()) return std::make_unique<httplib::Server>();
  security::ReloadingCertificates* certificates = security->http_certificates();
  return std::make_unique<httplib::SSLServer>(
      [certificates](SSL_CTX& ctx) { return certificates->ConfigureServerContext(&ctx); });
}

}  // namespace

void Readiness::SetNotReady(std::string reason) {
  std::lock_guard<std::mutex> lock(mu_);
  reason_ = std::move(reason);
}
bool Readiness::ready() const {
  std::lock_guard<std::mutex> lock(mu_);
  return reason_.empty();
}
std::string Readiness::reason() const {
  std::lock_guard<std::mutex> lock(mu_);
  return reason_;
}

HttpServer::HttpServer(HttpServerOptions options, metrics::Registry* registry, Readiness* readiness)
    : options_(std::move(options)),
      registry_(registry),
      readiness_(readiness),
      server_(MakeServer(options_.security)) {
  LF_CHECK(registry_ != nullptr && readiness_ != nullptr, "HttpServer needs metrics and readiness");
  LF_CHECK(server_->is_valid(), "the TLS context was set up (the files were checked at load)");
  const int threads = options_.worker_threads;
  server_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server_->set_payload_max_length(options_.max_body_bytes);
  // httplib's default sets SO_REUSEPORT, which lets a second process bind the same port and
  // silently split the traffic. Keep only SO_REUSEADDR (fast restarts), so a clash is an error.
  server_->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  server_->set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr) {
        // Our handlers do not throw; this catches what the library itself might (bad allocation).
        log::Error("http handler failed", {{"path", req.path}});
        res.status = 500;
        res.set_content(R"({"error":"internal error"})", "application/json");
      });
  Handle("GET", "/healthz", Access::Public(), [](const Request&) {
    return Response{200, "text/plain", "ok\n"};
  });
  Handle("GET", "/readyz", Access::Public(), [this](const Request&) {
    if (readiness_->ready()) return Response{200, "text/plain", "ready\n"};
    return Response{503, "text/plain", leadflow::StrCat("not ready: ", readiness_->reason(), "\n")};
  });
  Handle("GET", "/metrics", Access::Public(), [this](const Request&) {
    return Response{200, "text/plain; version=0.0.4; charset=utf-8", registry_->Render()};
  });
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Handle(const std::string& method, const std::string& path, Access access,
                        Handler handler) {
  LF_CHECK(!started_.load(), "routes are added before Start()");
  static const security::AccessPolicy* const kPolicy =
      new security::AccessPolicy(security::AccessPolicy::FromDescriptors());
  LF_CHECK(access.method.empty() || !kPolicy->RolesFor(access.method).empty(),
           "an API route names a leadflow.v1 method that has roles");
  const security::Guard* guard =
      options_.security == nullptr ? nullptr : &options_.security->guard();
  auto adapter = [h = std::move(handler), guard, access = std::move(access)](
                     const httplib::Request& req, httplib::Response& res) {
    std::string caller = "anonymous";
    if (guard != nullptr && !access.method.empty()) {
      // One credential per request: with two, the check and whoever reads the header after it
      // could disagree about who is calling.
      absl::Status allowed =
          req.get_header_value_count("Authorization") > 1
              ? absl::UnauthenticatedError("more than one authorization header")
              : guard->Check(access.method, req.get_header_value("Authorization"), &caller);
      if (!allowed.ok()) {
        if (absl::IsUnauthenticated(allowed)) {
          res.set_header("WWW-Authenticate", R"(Bearer realm="leadflow")");
        }
        Apply(StatusResponse(allowed), &res);
        return;
      }
    }
    Request request = ToRequest(req);
    request.caller = std::move(caller);
    Apply(h(request), &res);
  };
  if (method == "GET") {
    server_->Get(path, adapter);
  } else if (method == "POST") {
    server_->Post(path, adapter);
  } else if (method == "PUT") {
    server_->Put(path, adapter);
  } else if (method == "DELETE") {
    server_->Delete(path, adapter);
  } else {
    LF_CHECK(false, "unsupported HTTP method");
  }
}

absl::Status HttpServer::Start() {
  LF_CHECK(!started_.load(), "HttpServer started twice");
  if (options_.port == 0) {
    port_ = server_->bind_to_any_port(options_.host);
  } else {
    port_ = server_->bind_to_port(options_.host, options_.port) ? options_.port : -1;
  }
  if (port_ <= 0) {
    return absl::UnavailableError(leadflow::StrCat("http: cannot listen on ", options_.host, ":",
                                                   options_.port,
                                                   " (port in use or not permitted)"));
  }
  started_.store(true);
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // Wait until the accept loop runs: httplib's stop() is a no-op before that, so a Stop() racing a
  // fresh Start() would otherwise leave the thread listening forever.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!server_->is_running()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return absl::InternalError("http: server thread did not start within 30 s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const bool tls = options_.security != nullptr && !options_.security->plaintext();
  log::Info("http server listening",
            {{"address", leadflow::StrCat(options_.host, ":", port_)}, {"tls", tls}});
  return absl::OkStatus();
}

void HttpServer::Stop() {
  if (!started_.exchange(false)) return;
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace leadflow::http
