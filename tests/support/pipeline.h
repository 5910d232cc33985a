// The whole of leadflow as processes on the real broker, the way the e2e test (and the chaos
// suite) runs it: fresh topics for one test (the partitions of config/topics.yaml scaled down to
// 4), the five services started with the shipped configuration files (config/), ports 0, each
// waited for until ready, all stopped (and reaped) at the end.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tests/support/service_process.h"
#include "tests/support/temp_dir.h"
#include "tools/common/pipeline_flags.h"

namespace leadflow::testing {

using local::PipelineTopics;

// Builds the binaries' paths from LEADFLOW_<NAME>_PATH definitions of the test target.
struct PipelineBinaries {
  std::string intake, qualification, handoff, recycle, reporting;
};

class Pipeline {
 public:
  // Creates the topics (gtest expectations on failure).
  Pipeline(const TempDir& dir, PipelineBinaries binaries);
  ~Pipeline();

  // Starts the five services in pipeline order and waits until each is ready (gtest assertions:
  // wrap in ASSERT_NO_FATAL_FAILURE).
  void Start();

  const PipelineTopics& topics() const { return topics_; }
  ServiceProcess& intake() { return *services_[0]; }
  ServiceProcess& qualification() { return *services_[1]; }
  ServiceProcess& handoff() { return *services_[2]; }
  ServiceProcess& recycle() { return *services_[3]; }
  ServiceProcess& reporting() { return *services_[4]; }
  // The flags `service` ("intake", ...) is started with.
  std::vector<std::string> Flags(const std::string& service) const;

 private:
  const TempDir& dir_;
  PipelineBinaries binaries_;
  PipelineTopics topics_;
  std::vector<std::unique_ptr<ServiceProcess>> services_;
};

}  // namespace leadflow::testing
