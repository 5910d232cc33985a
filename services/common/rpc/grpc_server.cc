// gRPC server bootstrap with health checking and reflection.
#include "services/common/rpc/grpc_server.h"

#include <chrono>

#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/auth_metadata_processor.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/security/tls_certificate_provider.h"
#include "grpcpp/security/tls_credentials_options.h"
#include "services/common/base/status_macros.h"
#include "services/common/base/strings.h"
#include "services/common/log/log.h"
#include "services/common/rpc/status.h"
#include "services/common/security/server_security.h"

namespace leadflow::rpc {
namespace {

// Runs before a call reaches the service (gRPC runs it for calls on TLS connections): the method
// is the :path pseudo-header, the token the authorization header. A refusal ends the call with
// the Guard's status.
class GuardProcessor : public grpc::AuthMetadataProcessor {
 public:
  explicit GuardProcessor(const security::Guard* guard) : guard_(guard) {}
  bool IsBlocking() const override { return false; }  // no I/O: a hash or a signature check
  grpc::Status Process(const InputMetadata& metadata, grpc::AuthContext*, OutputMetadata*,
                       OutputMetadata*) override {
    auto find = [&](const char* key) {
      auto it = metadata.find(key);
      return it == metadata.end() ? std::string_view()
                                  : std::string_view(it->second.data(), it->second.length());
    };
    return ToGrpcStatus(guard_->Check(find(":path"), find("authorization")));
  }

 private:
  const security::Guard* guard_;
};

std::shared_ptr<grpc::ServerCredentials> Credentials(const security::ServerSecurity* security) {
  if (security == nullptr || security->plaintext()) return grpc::InsecureServerCredentials();
  const security::TlsOptions& tls = security->tls();
  using grpc::experimental::FileWatcherCertificateProvider;
  // gRPC's provider re-reads the files every reload_interval and keeps the last good pair.
  auto provider = std::make_shared<FileWatcherCertificateProvider>(
      tls.key_file, tls.cert_file, tls.client_ca_file,
      static_cast<unsigned int>(tls.reload_interval.count()));
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  if (!tls.client_ca_file.empty()) options.watch_root_certs();
  switch (tls.client_auth) {
    case security::ClientAuth::kNone:
      options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
      break;
    case security::ClientAuth::kOptional:
      options.set_cert_request_type(GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
      break;
    case security::ClientAuth::kRequire:
      options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
      break;
  }
  std::shared_ptr<grpc::ServerCredentials> credentials =
      grpc::experimental::TlsServerCredentials(options);
  if (security->guard().enabled()) {
    credentials->SetAuthMetadataProcessor(std::make_shared<GuardProcessor>(&security->guard()));
  }
  return credentials;
}

}  // namespace

GrpcServer::GrpcServer(GrpcServerOptions options) : options_(std::move(options)) {}

GrpcServer::~GrpcServer() { Shutdown(0); }

void GrpcServer::AddService(grpc::Service* service) {
  LF_CHECK(server_ == nullptr, "services are added before Start()");
  services_.push_back(service);
}

absl::Status GrpcServer::Start() {
  LF_CHECK(server_ == nullptr, "GrpcServer started twice");
  // Both are process-wide switches read by ServerBuilder; setting them again is harmless.
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  const std::string address = leadflow::StrCat(options_.host, ":", options_.port);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address, Credentials(options_.security), &port_);
  builder.SetMaxReceiveMessageSize(options_.max_receive_message_bytes);
  // gRPC enables SO_REUSEPORT by default: a second server on the same port would bind quietly and
  // take half the calls. Two instances on one port is a misconfiguration and must fail loudly.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  for (grpc::Service* service : services_) builder.RegisterService(service);
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    server_.reset();
    return absl::UnavailableError(
        leadflow::StrCat("grpc: cannot listen on ", address, " (port in use or not permitted)"));
  }
  SetServing(false);
  const bool tls = options_.security != nullptr && !options_.security->plaintext();
  log::Info("grpc server listening",
            {{"address", leadflow::StrCat(options_.host, ":", port_)}, {"tls", tls}});
  return absl::OkStatus();
}

void GrpcServer::SetServing(bool serving) {
  if (server_ == nullptr) return;
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  LF_CHECK(health != nullptr, "default health service is enabled in Start()");
  // Without a service name this sets every registered service and the server ("") at once, the
  // liveness name among them, so that one is set again after it.
  health->SetServingStatus(serving);
  health->SetServingStatus(kLivenessService, true);
}

void GrpcServer::Shutdown(int grace_ms) {
  if (server_ == nullptr) return;
  SetServing(false);
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(grace_ms));
  server_->Wait();
  server_.reset();
}

}  // namespace leadflow::rpc
