#include "tests/support/pipeline.h"

#include <signal.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>

#include "gtest/gtest.h"
#include "services/common/base/strings.h"
#include "tests/support/kafka_env.h"

namespace leadflow::testing {
namespace {

// The position of `service` in the pipeline order; aborts on an unknown name (a test's typo).
size_t ServiceIndex(const std::string& service) {
  const std::vector<std::string>& names = local::ServiceNames();
  const auto it = std::find(names.begin(), names.end(), service);
  if (it == names.end()) {
    std::cerr << "no service named '" << service << "'" << std::endl;
    std::abort();
  }
  return static_cast<size_t>(it - names.begin());
}

}  // namespace

Pipeline::Pipeline(const TempDir& dir, PipelineBinaries binaries, PipelineOptions options)
    : dir_(dir),
      binaries_(std::move(binaries)),
      options_(std::move(options)),
      topics_(PipelineTopics::Named(UniqueName("pipeline"))) {
  for (const auto& [service, n] : options_.instances) {
    ServiceIndex(service);
    EXPECT_GE(n, 1) << service;
  }
  EXPECT_TRUE(CreateTopics(topics_.LeadKeyed(), kPartitions).ok());
  EXPECT_TRUE(CreateTopics({topics_.config, topics_.dlq}, 1).ok());
  EXPECT_TRUE(CreateTopics({topics_.accounts}, 2).ok());
}

Pipeline::~Pipeline() {
  // Last started, first stopped: every process gets SIGTERM and is reaped (one stopped by the test
  // already is only reaped).
  for (auto service = services_.rbegin(); service != services_.rend(); ++service) {
    for (auto it = service->rbegin(); it != service->rend(); ++it) (*it)->Stop(SIGTERM);
  }
}

int Pipeline::instances(const std::string& service) const {
  ServiceIndex(service);
  const auto it = options_.instances.find(service);
  return it == options_.instances.end() ? 1 : it->second;
}

ServiceProcess& Pipeline::instance(const std::string& service, int i) {
  const size_t index = ServiceIndex(service);
  if (index >= services_.size() || i < 0 || static_cast<size_t>(i) >= services_[index].size()) {
    std::cerr << "no started instance " << i << " of " << service << std::endl;
    std::abort();
  }
  return *services_[index][static_cast<size_t>(i)];
}

std::vector<std::string> Pipeline::Flags(const std::string& service, int instance) const {
  local::PipelineSettings settings;
  settings.bootstrap = KafkaBootstrap();
  settings.config_dir = LEADFLOW_CONFIG_DIR;
  // Each instance its own RocksDB, as each replica of a StatefulSet has its own volume.
  settings.data_dir = instance == 0 ? dir_.Sub("") : dir_.Sub(StrCat(service, "-", instance));
  settings.lead_id_secret = std::string(kLeadIdSecret);
  settings.security_flags = options_.security_flags;
  for (const auto& [key, value] : KafkaSecurity())
    settings.kafka_properties.emplace_back(key, value);
  std::vector<std::string> flags = local::ServiceFlags(service, topics_, settings);
  if (instance != 0) flags.push_back(StrCat("--instance.id=", instance));
  flags.insert(flags.end(), options_.extra_flags.begin(), options_.extra_flags.end());
  return flags;
}

void Pipeline::Start() {
  const std::vector<std::string> binaries = {binaries_.intake, binaries_.qualification,
                                             binaries_.handoff, binaries_.recycle,
                                             binaries_.reporting};
  for (size_t s = 0; s < binaries.size(); ++s) {
    const std::string& name = local::ServiceNames()[s];
    services_.emplace_back();
    for (int i = 0; i < instances(name); ++i) {
      const std::string log = i == 0 ? name + ".log" : StrCat(name, "-", i, ".log");
      services_.back().push_back(std::make_unique<ServiceProcess>(name, binaries[s], dir_.Sub(log),
                                                                  options_.client_security));
      ASSERT_NO_FATAL_FAILURE(services_.back().back()->Start(Flags(name, i)));
    }
  }
}

}  // namespace leadflow::testing
