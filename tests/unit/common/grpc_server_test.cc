// gRPC bootstrap: a real server on port 0 answers the standard health and reflection protocols.
#include "services/common/rpc/grpc_server.h"

#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "leadflow_test/reflection_wire.pb.h"
#include "services/common/base/strings.h"

namespace leadflow::rpc {
namespace {

using HealthStatus = grpc::health::v1::HealthCheckResponse;

std::shared_ptr<grpc::Channel> Connect(int port) {
  return grpc::CreateChannel(StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
}

HealthStatus::ServingStatus Check(grpc::health::v1::Health::Stub& stub,
                                  const std::string& service = "") {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  grpc::health::v1::HealthCheckRequest req;
  req.set_service(service);
  HealthStatus resp;
  const grpc::Status s = stub.Check(&ctx, req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return resp.status();
}

TEST(GrpcServerTest, HealthStartsNotServingAndFollowsSetServing) {
  GrpcServer server(GrpcServerOptions{});
  ASSERT_TRUE(server.Start().ok());
  ASSERT_GT(server.port(), 0);
  auto stub = grpc::health::v1::Health::NewStub(Connect(server.port()));
  EXPECT_EQ(Check(*stub), HealthStatus::NOT_SERVING);
  server.SetServing(true);
  EXPECT_EQ(Check(*stub), HealthStatus::SERVING);
  server.SetServing(false);
  EXPECT_EQ(Check(*stub), HealthStatus::NOT_SERVING);
  server.Shutdown();
}

TEST(GrpcServerTest, LivenessServesWhileNotReady) {
  GrpcServer server(GrpcServerOptions{});
  ASSERT_TRUE(server.Start().ok());
  auto stub = grpc::health::v1::Health::NewStub(Connect(server.port()));
  EXPECT_EQ(Check(*stub, GrpcServer::kLivenessService), HealthStatus::SERVING);
  server.SetServing(true);
  EXPECT_EQ(Check(*stub, GrpcServer::kLivenessService), HealthStatus::SERVING);
  server.SetServing(false);
  EXPECT_EQ(Check(*stub), HealthStatus::NOT_SERVING);
  EXPECT_EQ(Check(*stub, GrpcServer::kLivenessService), HealthStatus::SERVING);
  server.Shutdown();
}

// Lists services through the real reflection method with a generic (untyped) bidi call.
std::vector<std::string> ListServices(int port) {
  grpc::GenericStub stub(Connect(port));
  grpc::CompletionQueue cq;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  auto call =
      stub.PrepareCall(&ctx, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
  // Each async step is tagged with its own number and awaited in order.
  auto await = [&](intptr_t tag) {
    void* got = nullptr;
    bool ok = false;
    EXPECT_TRUE(cq.Next(&got, &ok));
    EXPECT_EQ(reinterpret_cast<intptr_t>(got), tag);
    return ok;
  };
  call->StartCall(reinterpret_cast<void*>(1));
  EXPECT_TRUE(await(1));
  leadflow_test::ReflectionRequest req;
  req.set_list_services("");
  std::string bytes = req.SerializeAsString();
  grpc::Slice slice(bytes);
  grpc::ByteBuffer out(&slice, 1);
  call->Write(out, reinterpret_cast<void*>(2));
  EXPECT_TRUE(await(2));
  call->WritesDone(reinterpret_cast<void*>(3));
  EXPECT_TRUE(await(3));
  grpc::ByteBuffer in;
  call->Read(&in, reinterpret_cast<void*>(4));
  EXPECT_TRUE(await(4));
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  EXPECT_TRUE(await(5));
  EXPECT_TRUE(status.ok()) << status.error_message();
  cq.Shutdown();
  void* ignored_tag = nullptr;
  bool ignored_ok = false;
  while (cq.Next(&ignored_tag, &ignored_ok)) {
  }

  std::vector<grpc::Slice> slices;
  EXPECT_TRUE(in.Dump(&slices).ok());
  std::string received;
  for (const grpc::Slice& s : slices)
    received.append(reinterpret_cast<const char*>(s.begin()), s.size());
  leadflow_test::ReflectionResponse resp;
  EXPECT_TRUE(resp.ParseFromString(received));
  std::vector<std::string> names;
  for (const auto& s : resp.list_services_response().service()) names.push_back(s.name());
  return names;
}

TEST(GrpcServerTest, ReflectionListsTheRegisteredServices) {
  // Any generated service will do; the health client proto's own service is at hand.
  grpc::health::v1::Health::Service some_service;
  GrpcServer server(GrpcServerOptions{});
  server.AddService(&some_service);
  ASSERT_TRUE(server.Start().ok());
  EXPECT_THAT(ListServices(server.port()),
              ::testing::IsSupersetOf(
                  {"grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection"}));
  server.Shutdown();
}

TEST(GrpcServerTest, PortInUseIsAClearError) {
  GrpcServer first(GrpcServerOptions{});
  ASSERT_TRUE(first.Start().ok());
  GrpcServer second(GrpcServerOptions{"127.0.0.1", first.port()});
  const absl::Status s = second.Start();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr(StrCat("127.0.0.1:", first.port())));
}

}  // namespace
}  // namespace leadflow::rpc
