#include "tests/support/pipeline.h"

#include <signal.h>

#include "gtest/gtest.h"
#include "tests/support/kafka_env.h"

namespace leadflow::testing {

Pipeline::Pipeline(const TempDir& dir, PipelineBinaries binaries)
    : dir_(dir),
      binaries_(std::move(binaries)),
      topics_(PipelineTopics::Named(UniqueName("pipeline"))) {
  EXPECT_TRUE(CreateTopics(topics_.LeadKeyed(), 4).ok());
  EXPECT_TRUE(CreateTopics({topics_.config, topics_.dlq}, 1).ok());
  EXPECT_TRUE(CreateTopics({topics_.accounts}, 2).ok());
}

Pipeline::~Pipeline() {
  // Last started, first stopped: every process gets SIGTERM and is reaped.
  for (auto it = services_.rbegin(); it != services_.rend(); ++it) (*it)->Stop(SIGTERM);
}

std::vector<std::string> Pipeline::Flags(const std::string& service) const {
  local::PipelineSettings settings;
  settings.bootstrap = KafkaBootstrap();
  settings.config_dir = LEADFLOW_CONFIG_DIR;
  settings.data_dir = dir_.Sub("");
  settings.lead_id_secret = "e2e-secret";
  return local::ServiceFlags(service, topics_, settings);
}

void Pipeline::Start() {
  const std::vector<std::string> binaries = {binaries_.intake, binaries_.qualification,
                                             binaries_.handoff, binaries_.recycle,
                                             binaries_.reporting};
  for (size_t i = 0; i < binaries.size(); ++i) {
    const std::string& name = local::ServiceNames()[i];
    services_.push_back(
        std::make_unique<ServiceProcess>(name, binaries[i], dir_.Sub(name + ".log")));
    ASSERT_NO_FATAL_FAILURE(services_.back()->Start(Flags(name)));
  }
}

}  // namespace leadflow::testing
