// The demo data set (tools/demo) driven through a test Pipeline, as the e2e tests use it: generated
// at now with a seed, fed through every way in (gRPC, HTTP, the raw topic, CSV) while a sales desk
// answers every handoff from WatchHandoffs as the set's plans say, then reporting checked against
// the ground truth.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "tests/support/pipeline.h"
#include "tests/support/temp_dir.h"
#include "tools/demo/driver.h"
#include "tools/demo/generator.h"
#include "tools/demo/truth.h"

namespace leadflow::testing {

// The lead id intake gives a demo lead in a test pipeline: the HMAC of its normalised email under
// Pipeline::kLeadIdSecret.
std::string DemoLeadId(const demo::DemoLead& lead);

class PipelineDemo {
 public:
  PipelineDemo(Pipeline& pipeline, uint64_t seed, int leads);
  ~PipelineDemo();

  const demo::DemoDataSet& set() const { return set_; }
  const demo::GroundTruth& truth() const { return truth_; }
  const demo::Endpoints& endpoints() const { return endpoints_; }
  // Null until Run() started it.
  demo::SalesDesk* desk() { return desk_.get(); }

  // Feeds the set (its CSV into `dir`), waits until the desk answered every handoff, and until
  // reporting equals the ground truth. gtest assertions: wrap in ASSERT_NO_FATAL_FAILURE.
  void Run(const TempDir& dir);
  // Reporting equals the ground truth within `timeout`.
  absl::Status AwaitTruth(std::chrono::milliseconds timeout) const;
  // Points the endpoints at the services' current ports (after they were restarted).
  void Refresh();
  // Stops the sales desk (e.g. before the services are restarted under new ports).
  void StopDesk() { desk_.reset(); }

 private:
  Pipeline& pipeline_;
  demo::DemoDataSet set_;
  demo::GroundTruth truth_;
  demo::Endpoints endpoints_;
  std::unique_ptr<demo::SalesDesk> desk_;
};

}  // namespace leadflow::testing
