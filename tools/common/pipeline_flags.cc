#include "tools/common/pipeline_flags.h"

namespace leadflow::local {
namespace {

std::vector<std::string> With(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

PipelineTopics PipelineTopics::Named(const std::string& prefix) {
  PipelineTopics t;
  auto name = [&](const char* role) { return prefix + "-" + role; };
  t.raw = name("raw");
  t.admitted = name("admitted");
  t.leads = name("leads");
  t.qcommands = name("qcommands");
  t.qualification = name("qualification");
  t.feedback = name("feedback");
  t.routing = name("routing");
  t.assignments = name("assignments");
  t.handoffs = name("handoffs");
  t.rcommands = name("rcommands");
  t.recycle = name("recycle");
  t.config = name("config");
  t.accounts = name("accounts");
  t.dlq = name("dlq");
  t.app = name("app");
  return t;
}

std::vector<std::string> PipelineTopics::LeadKeyed() const {
  return {raw,     admitted,    leads,    qcommands, qualification, feedback,
          routing, assignments, handoffs, rcommands, recycle};
}

const std::vector<std::string>& ServiceNames() {
  static const std::vector<std::string> kNames = {"intake", "qualification", "handoff", "recycle",
                                                  "reporting"};
  return kNames;
}

std::vector<std::string> ServiceFlags(const std::string& service, const PipelineTopics& t,
                                      const PipelineSettings& s) {
  auto config = [&](const char* file) { return s.config_dir + "/" + file; };
  std::vector<std::string> common = {"--grpc.port=0",
                                     "--http.port=0",
                                     "--data.dir=" + s.data_dir + "/" + service + "-data",
                                     "--kafka.bootstrap.servers=" + s.bootstrap,
                                     "--application.id=" + t.app + "-" + service,
                                     "--topics.dlq=" + t.dlq,
                                     "--kafka.session.timeout.ms=6000",
                                     "--kafka.heartbeat.interval.ms=1000"};
  if (s.security_flags.empty()) {
    common.push_back("--tls.plaintext=true");
  } else {
    common.insert(common.end(), s.security_flags.begin(), s.security_flags.end());
  }
  for (const auto& [key, value] : s.kafka_properties) {
    common.push_back("--kafka." + key + "=" + value);
  }
  if (service == "intake") {
    return With(common,
                {"--topics.raw=" + t.raw, "--topics.admitted=" + t.admitted,
                 "--topics.leads=" + t.leads, "--intake.lead_id_secret=" + s.lead_id_secret});
  }
  if (service == "qualification") {
    return With(common,
                {"--topics.config=" + t.config, "--topics.leads=" + t.leads,
                 "--topics.recycle=" + t.recycle, "--topics.commands=" + t.qcommands,
                 "--topics.qualification=" + t.qualification, "--topics.accounts=" + t.accounts,
                 "--qualification.icp_file=" + config("icp.yaml"),
                 "--qualification.stages_file=" + config("stages.yaml"),
                 "--qualification.nurture_file=" + config("nurture.yaml")});
  }
  if (service == "handoff") {
    return With(common, {"--topics.config=" + t.config, "--topics.qualification=" + t.qualification,
                         "--topics.feedback=" + t.feedback, "--topics.recycle=" + t.recycle,
                         "--topics.routing=" + t.routing, "--topics.assignments=" + t.assignments,
                         "--topics.handoffs=" + t.handoffs, "--topics.accounts=" + t.accounts,
                         "--handoff.routing_file=" + config("routing.yaml"),
                         "--handoff.sla_file=" + config("sla.yaml"),
                         "--handoff.stages_file=" + config("stages.yaml"),
                         "--handoff.comp_file=" + config("comp.yaml")});
  }
  if (service == "recycle") {
    return With(common,
                {"--topics.config=" + t.config, "--topics.leads=" + t.leads,
                 "--topics.qualification=" + t.qualification, "--topics.handoffs=" + t.handoffs,
                 "--topics.commands=" + t.rcommands, "--topics.recycle=" + t.recycle,
                 "--recycle.nurture_file=" + config("nurture.yaml"),
                 "--recycle.stages_file=" + config("stages.yaml")});
  }
  return With(common, {"--topics.config=" + t.config, "--topics.leads=" + t.leads,
                       "--topics.qualification=" + t.qualification,
                       "--topics.handoffs=" + t.handoffs, "--topics.recycle=" + t.recycle,
                       s.train ? "--reporting.train_interval=1h" : "--reporting.train_interval=0s",
                       "--reporting.stages_file=" + config("stages.yaml"),
                       "--reporting.comp_file=" + config("comp.yaml")});
}

}  // namespace leadflow::local
