#include "tests/support/pipeline.h"

#include <signal.h>

#include "gtest/gtest.h"
#include "tests/support/kafka_env.h"

namespace leadflow::testing {
namespace {

std::vector<std::string> With(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::string Config(const std::string& file) {
  return std::string(LEADFLOW_CONFIG_DIR) + "/" + file;
}

}  // namespace

Pipeline::Pipeline(const TempDir& dir, PipelineBinaries binaries)
    : dir_(dir), binaries_(std::move(binaries)) {
  PipelineTopics& t = topics_;
  t.raw = UniqueName("raw");
  t.admitted = UniqueName("admitted");
  t.leads = UniqueName("leads");
  t.qcommands = UniqueName("qcommands");
  t.qualification = UniqueName("qualification");
  t.feedback = UniqueName("feedback");
  t.routing = UniqueName("routing");
  t.assignments = UniqueName("assignments");
  t.handoffs = UniqueName("handoffs");
  t.rcommands = UniqueName("rcommands");
  t.recycle = UniqueName("recycle");
  t.config = UniqueName("config");
  t.accounts = UniqueName("accounts");
  t.dlq = UniqueName("dlq");
  t.app = UniqueName("app");
  EXPECT_TRUE(CreateTopics({t.raw, t.admitted, t.leads, t.qcommands, t.qualification, t.feedback,
                            t.routing, t.assignments, t.handoffs, t.rcommands, t.recycle},
                           4)
                  .ok());
  EXPECT_TRUE(CreateTopics({t.config, t.dlq}, 1).ok());
  EXPECT_TRUE(CreateTopics({t.accounts}, 2).ok());
}

Pipeline::~Pipeline() {
  // Last started, first stopped: every process gets SIGTERM and is reaped.
  for (auto it = services_.rbegin(); it != services_.rend(); ++it) (*it)->Stop(SIGTERM);
}

std::vector<std::string> Pipeline::Flags(const std::string& service) const {
  const PipelineTopics& t = topics_;
  const std::vector<std::string> common = {"--grpc.port=0",
                                           "--http.port=0",
                                           "--data.dir=" + dir_.Sub(service + "-data"),
                                           "--kafka.bootstrap.servers=" + KafkaBootstrap(),
                                           "--application.id=" + t.app + "-" + service,
                                           "--topics.dlq=" + t.dlq,
                                           "--kafka.session.timeout.ms=6000",
                                           "--kafka.heartbeat.interval.ms=1000"};
  if (service == "intake") {
    return With(common, {"--topics.raw=" + t.raw, "--topics.admitted=" + t.admitted,
                         "--topics.leads=" + t.leads, "--intake.lead_id_secret=e2e-secret"});
  }
  if (service == "qualification") {
    return With(common,
                {"--topics.config=" + t.config, "--topics.leads=" + t.leads,
                 "--topics.recycle=" + t.recycle, "--topics.commands=" + t.qcommands,
                 "--topics.qualification=" + t.qualification, "--topics.accounts=" + t.accounts,
                 "--qualification.icp_file=" + Config("icp.yaml"),
                 "--qualification.stages_file=" + Config("stages.yaml"),
                 "--qualification.nurture_file=" + Config("nurture.yaml")});
  }
  if (service == "handoff") {
    return With(common, {"--topics.config=" + t.config, "--topics.qualification=" + t.qualification,
                         "--topics.feedback=" + t.feedback, "--topics.recycle=" + t.recycle,
                         "--topics.routing=" + t.routing, "--topics.assignments=" + t.assignments,
                         "--topics.handoffs=" + t.handoffs, "--topics.accounts=" + t.accounts,
                         "--handoff.routing_file=" + Config("routing.yaml"),
                         "--handoff.sla_file=" + Config("sla.yaml"),
                         "--handoff.stages_file=" + Config("stages.yaml"),
                         "--handoff.comp_file=" + Config("comp.yaml")});
  }
  if (service == "recycle") {
    return With(common,
                {"--topics.config=" + t.config, "--topics.leads=" + t.leads,
                 "--topics.qualification=" + t.qualification, "--topics.handoffs=" + t.handoffs,
                 "--topics.commands=" + t.rcommands, "--topics.recycle=" + t.recycle,
                 "--recycle.nurture_file=" + Config("nurture.yaml"),
                 "--recycle.stages_file=" + Config("stages.yaml")});
  }
  // reporting; the trainer off (it would publish a model mid-test)
  return With(common,
              {"--topics.config=" + t.config, "--topics.leads=" + t.leads,
               "--topics.qualification=" + t.qualification, "--topics.handoffs=" + t.handoffs,
               "--topics.recycle=" + t.recycle, "--reporting.train_interval=0s",
               "--reporting.stages_file=" + Config("stages.yaml"),
               "--reporting.comp_file=" + Config("comp.yaml")});
}

void Pipeline::Start() {
  const std::vector<std::pair<std::string, std::string>> order = {
      {"intake", binaries_.intake},
      {"qualification", binaries_.qualification},
      {"handoff", binaries_.handoff},
      {"recycle", binaries_.recycle},
      {"reporting", binaries_.reporting}};
  for (const auto& [name, binary] : order) {
    services_.push_back(std::make_unique<ServiceProcess>(name, binary, dir_.Sub(name + ".log")));
    ASSERT_NO_FATAL_FAILURE(services_.back()->Start(Flags(name)));
  }
}

}  // namespace leadflow::testing
