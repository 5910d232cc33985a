#include "tests/support/pipeline_demo.h"

#include <chrono>
#include <iostream>

#include "gtest/gtest.h"
#include "services/common/base/strings.h"
#include "services/handoff/routing.h"
#include "services/intake/admission.h"
#include "services/intake/normalize.h"
#include "tests/support/kafka_env.h"

namespace leadflow::testing {
namespace {

using Clock = std::chrono::system_clock;

void Log(const std::string& line) { std::cout << "[demo] " << line << std::endl; }

demo::DemoDataSet Generate(uint64_t seed, int leads) {
  demo::DemoOptions options;
  options.seed = seed;
  options.leads = leads;
  options.now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch())
          .count();
  return demo::Generate(options);
}

}  // namespace

std::string DemoLeadId(const demo::DemoLead& lead) {
  const absl::StatusOr<std::string> email =
      intake::NormalizeEmail(lead.submission.person().email());
  EXPECT_TRUE(email.ok()) << lead.submission.person().email();
  return intake::LeadIdForEmail(email.ok() ? *email : "", Pipeline::kLeadIdSecret);
}

PipelineDemo::PipelineDemo(Pipeline& pipeline, uint64_t seed, int leads)
    : pipeline_(pipeline), set_(Generate(seed, leads)), truth_(demo::ComputeTruth(set_)) {
  endpoints_.bootstrap = KafkaBootstrap();
  endpoints_.kafka = KafkaSecurity();
  endpoints_.raw_topic = pipeline.topics().raw;
  endpoints_.security = pipeline.intake().security();
  Refresh();
}

PipelineDemo::~PipelineDemo() = default;

void PipelineDemo::Refresh() {
  // With TLS, by the name in the services' certificate.
  const std::string host = endpoints_.security.plaintext() ? "127.0.0.1:" : "localhost:";
  endpoints_.intake_grpc = StrCat(host, pipeline_.intake().grpc_port());
  endpoints_.intake_http = StrCat(host, pipeline_.intake().http_port());
  endpoints_.handoff_grpc = StrCat(host, pipeline_.handoff().grpc_port());
  endpoints_.reporting_grpc = StrCat(host, pipeline_.reporting().grpc_port());
}

void PipelineDemo::Run(const TempDir& dir) {
  absl::StatusOr<v1::RoutingConfig> routing =
      handoff::LoadRoutingFile(std::string(LEADFLOW_CONFIG_DIR) + "/routing.yaml");
  ASSERT_TRUE(routing.ok()) << routing.status();
  desk_ = std::make_unique<demo::SalesDesk>(set_, endpoints_, *routing, Log);
  ASSERT_TRUE(desk_->Start(Clock::now() - std::chrono::minutes(1)).ok());
  absl::StatusOr<demo::FeedResult> fed = demo::FeedLeads(set_, endpoints_, dir.Sub(""), Log);
  ASSERT_TRUE(fed.ok()) << fed.status();
  EXPECT_EQ(fed->duplicates, 0);
  const absl::Status answered = desk_->AwaitDone(truth_.handoffs, std::chrono::minutes(5));
  ASSERT_TRUE(answered.ok()) << answered;
  EXPECT_TRUE(desk_->errors().empty()) << desk_->errors().front();
  // Reporting converges on the truth (it folds the same events the desk caused).
  const absl::Status equal = AwaitTruth(std::chrono::minutes(5));
  EXPECT_TRUE(equal.ok()) << equal;
}

absl::Status PipelineDemo::AwaitTruth(std::chrono::milliseconds timeout) const {
  return demo::AwaitTruth(truth_, endpoints_, timeout, Log);
}

}  // namespace leadflow::testing
