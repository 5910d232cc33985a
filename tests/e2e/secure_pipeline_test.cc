// The pipeline secured end to end, as a production installation runs it: the broker's client
// listener on TLS with SASL (scripts/kafka.sh KAFKA_SECURITY=sasl_ssl; every service, the demo's
// raw-topic producer and this test's consumers pass the security settings through kafka.*), and the
// services' gRPC and HTTP on mutual TLS with bearer tokens. The demo data set goes in through every
// way in with a token that has the marketing-writer, sales-tool and reader roles, and:
//   - reporting's funnel, source quality and win-loss equal the ground truth;
//   - a token without the role is refused (PERMISSION_DENIED), a client without a certificate
//     cannot connect, and the broker refuses a client without the SASL settings;
//   - nothing was dead-lettered.
#include <chrono>

#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "leadflow/v1/intake_service.grpc.pb.h"
#include "services/common/base/strings.h"
#include "services/common/kafka/admin.h"
#include "tests/support/kafka_env.h"
#include "tests/support/own_broker.h"
#include "tests/support/pipeline.h"
#include "tests/support/pipeline_demo.h"
#include "tests/support/stream_check.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_pki.h"

namespace leadflow {
namespace {

using Clock = std::chrono::system_clock;

TEST(SecurePipelineTest, DemoThroughMutualTlsTokensAndASaslSslBrokerMatchesTheGroundTruth) {
  testing::TempDir dir("secure-pipeline");
  testing::OwnBroker broker(dir.Sub("kafka"), "sasl_ssl");
  const std::string bootstrap = broker.Start();
  ASSERT_FALSE(bootstrap.empty());
  const kafka::Properties kafka_security = broker.ClientSecurity();
  ASSERT_EQ(kafka_security.at("security.protocol"), "SASL_SSL");
  // Without the SASL settings the broker does not answer (a plaintext client is not let in).
  EXPECT_FALSE(
      kafka::CheckBrokers({{"bootstrap.servers", bootstrap}}, std::chrono::seconds(5)).ok());
  testing::UseKafkaBootstrap(bootstrap);
  testing::UseKafkaSecurity(kafka_security);
  ASSERT_TRUE(kafka::CheckBrokers(testing::KafkaProperties(), testing::kKafkaDeadline).ok());

  testing::TestPki pki(dir.Sub("api-pki"));
  ASSERT_NO_FATAL_FAILURE(pki.Create());
  testing::WriteTokensFile(
      dir.Sub("tokens.yaml"),
      {{"demo-token", {"marketing-writer", "sales-tool", "reader"}}, {"reader-token", {"reader"}}});
  testing::PipelineOptions options;
  options.client_security.ca_file = pki.ca();
  options.client_security.cert_file = pki.client_cert();
  options.client_security.key_file = pki.client_key();
  options.client_security.token = "demo-token";
  options.security_flags = {"--tls.cert_file=" + pki.server_cert(),
                            "--tls.key_file=" + pki.server_key(),
                            "--tls.client_ca_file=" + pki.ca(),  // mutual TLS, required
                            "--auth.tokens_file=" + dir.Sub("tokens.yaml")};
  testing::Pipeline pipeline(dir, testing::BuiltBinaries(), options);
  ASSERT_NO_FATAL_FAILURE(pipeline.Start());

  // The doors are locked: the reader token cannot submit, a client without a certificate cannot
  // connect, a plaintext client gets nothing.
  {
    local::ClientSecurity reader = options.client_security;
    reader.token = "reader-token";
    auto intake = v1::IntakeService::NewStub(
        pipeline.intake().security().Channel(StrCat("localhost:", pipeline.intake().grpc_port())));
    auto as_reader = v1::IntakeService::NewStub(
        reader.Channel(StrCat("localhost:", pipeline.intake().grpc_port())));
    grpc::ClientContext ctx;
    ctx.set_deadline(Clock::now() + std::chrono::seconds(30));
    v1::GetLeadResponse response;
    EXPECT_EQ(as_reader->GetLead(&ctx, v1::GetLeadRequest(), &response).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
    local::ClientSecurity no_cert = options.client_security;
    no_cert.cert_file.clear();
    no_cert.key_file.clear();
    auto without_cert = v1::IntakeService::NewStub(
        no_cert.Channel(StrCat("localhost:", pipeline.intake().grpc_port())));
    grpc::ClientContext ctx2;
    ctx2.set_deadline(Clock::now() + std::chrono::seconds(30));
    EXPECT_EQ(without_cert->GetLead(&ctx2, v1::GetLeadRequest(), &response).error_code(),
              grpc::StatusCode::UNAVAILABLE);
  }

  testing::PipelineDemo demo(pipeline, 20261128, 200);
  ASSERT_GT(demo.truth().handoffs, 20);
  // Through the TLS endpoints with the demo token, and the SASL_SSL broker.
  ASSERT_NO_FATAL_FAILURE(demo.Run(dir));

  testing::Verifier dlq(pipeline.topics().dlq);
  dlq.PollOnce(2000);
  EXPECT_TRUE(dlq.records.empty()) << dlq.records.size() << " records on the DLQ";
}

}  // namespace
}  // namespace leadflow
