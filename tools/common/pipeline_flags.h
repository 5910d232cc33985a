// The whole of leadflow on one Kafka with topics of its own — what the e2e test, the chaos suite
// and `leadflow-bench pipeline` start: the topic names under one prefix, their partitions, and the
// flags each of the five services is started with (the shipped config files, ports 0).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace leadflow::local {

struct PipelineTopics {
  std::string raw, admitted, leads, qcommands, qualification, feedback, routing, assignments,
      handoffs, rcommands, recycle, config, accounts, dlq;
  std::string app;  // application.id prefix: "<app>-<service>"

  // Every name "<prefix>-<role>".
  static PipelineTopics Named(const std::string& prefix);
  // The lead-keyed topics (`partitions` each); config and DLQ have 1, accounts 2.
  std::vector<std::string> LeadKeyed() const;
};

// The five services in pipeline order.
const std::vector<std::string>& ServiceNames();

struct PipelineSettings {
  std::string bootstrap;
  std::string config_dir;  // config/
  std::string data_dir;    // each service gets <data_dir>/<service>-data
  std::string lead_id_secret = "local-pipeline";
  bool train = false;  // reporting's trainer (it publishes models mid-run when on)
  // tls.* / auth.* flags for every service; empty: --tls.plaintext=true (local, no auth).
  std::vector<std::string> security_flags;
  // Extra kafka.* properties for every service (a secured broker: security.protocol, sasl.*).
  std::vector<std::pair<std::string, std::string>> kafka_properties;
};

// The flags `service` ("intake", ...) is started with.
std::vector<std::string> ServiceFlags(const std::string& service, const PipelineTopics& topics,
                                      const PipelineSettings& settings);

}  // namespace leadflow::local
