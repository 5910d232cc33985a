// The whole of leadflow as processes on the real broker, the way the e2e test (and the chaos
// suite) runs it: fresh topics for one test (the partitions of config/topics.yaml scaled down to
// 4), the five services started with the shipped configuration files (config/), ports 0, each
// waited for until ready, all stopped (and reaped) at the end. A service may run as several
// instances (a StatefulSet's replicas): the same binary and application.id, instance.id 0..n-1,
// a data dir and a log each.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
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

#ifdef LEADFLOW_INTAKE_PATH
// The five binaries of this build, from the test target's LEADFLOW_<NAME>_PATH definitions
// (${_leadflow_binaries} in tests/CMakeLists.txt).
inline PipelineBinaries BuiltBinaries() {
  return {LEADFLOW_INTAKE_PATH, LEADFLOW_QUALIFICATION_PATH, LEADFLOW_HANDOFF_PATH,
          LEADFLOW_RECYCLE_PATH, LEADFLOW_REPORTING_PATH};
}
#endif

struct PipelineOptions {
  // Instances per service ("qualification" → 3); a service not named runs one. Instance 0 is
  // started exactly as a single instance is; instance i > 0 adds --instance.id=i, and its data dir
  // and log are "<service>-<i>/" and "<service>-<i>.log" under the test's directory.
  std::map<std::string, int> instances;
  // How the test reaches the services (TLS, client certificate, token); plaintext by default.
  local::ClientSecurity client_security;
  // The services' tls.* and auth.* flags; empty: --tls.plaintext=true.
  std::vector<std::string> security_flags;
  // More flags for every service (e.g. "--state.erasure_max_lag=3s").
  std::vector<std::string> extra_flags;
};

class Pipeline {
 public:
  // Partitions of every lead-keyed topic (the input partitions of every stream step).
  static constexpr int kPartitions = 4;
  // intake's lead id key: leads' ids are intake::LeadIdForEmail(email, kLeadIdSecret).
  static constexpr std::string_view kLeadIdSecret = "e2e-secret";

  // Creates the topics (gtest expectations on failure).
  Pipeline(const TempDir& dir, PipelineBinaries binaries, PipelineOptions options = {});
  ~Pipeline();

  // Starts the five services in pipeline order, every instance of a service in instance order,
  // and waits until each is ready (gtest assertions: wrap in ASSERT_NO_FATAL_FAILURE).
  void Start();

  const PipelineTopics& topics() const { return topics_; }
  ServiceProcess& intake() { return instance("intake", 0); }
  ServiceProcess& qualification() { return instance("qualification", 0); }
  ServiceProcess& handoff() { return instance("handoff", 0); }
  ServiceProcess& recycle() { return instance("recycle", 0); }
  ServiceProcess& reporting() { return instance("reporting", 0); }
  // Instance `i` of `service` ("intake", ...); aborts the test binary when there is none.
  ServiceProcess& instance(const std::string& service, int i);
  int instances(const std::string& service) const;
  // The flags instance `instance` of `service` is started with.
  std::vector<std::string> Flags(const std::string& service, int instance = 0) const;

 private:
  const TempDir& dir_;
  PipelineBinaries binaries_;
  PipelineOptions options_;
  PipelineTopics topics_;
  // Per service (pipeline order), its instances.
  std::vector<std::vector<std::unique_ptr<ServiceProcess>>> services_;
};

}  // namespace leadflow::testing
