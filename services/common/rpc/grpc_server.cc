// gRPC server bootstrap with health checking and reflection.
#include "services/common/rpc/grpc_server.h"

#include <chrono>

#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "services/common/base/status_macros.h"
#include "services/common/base/strings.h"
#include "services/common/log/log.h"

namespace leadflow::rpc {

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
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &port_);
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
  log::Info("grpc server listening", {{"address", leadflow::StrCat(options_.host, ":", port_)}});
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
