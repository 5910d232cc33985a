// `leadflowctl config check|apply|show`: the business configuration in config/ (icp.yaml and
// stages.yaml today; routing, SLA, nurture and comp summary as their services arrive), validated
// with file:line errors and published as versioned ConfigRecords on leadflow.config.v1.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "leadflow/v1/config.pb.h"
#include "services/common/kafka/properties.h"

namespace leadflow::ctl {

// The config kinds in a directory: file name → record (payload set, version empty). Fails with
// every error of every file.
absl::StatusOr<std::map<std::string, v1::ConfigRecord>> LoadConfigDir(const std::string& dir);

// "sha256:<hex>" of the deterministic serialization of the record's payload.
std::string ContentHash(const v1::ConfigRecord& record);

// The latest record of each kind on the config topic (key = kind). `connection` is the Kafka
// connection (bootstrap.servers and any security properties).
absl::StatusOr<std::map<std::string, v1::ConfigRecord>> ReadPublished(
    const kafka::Properties& connection, const std::string& topic,
    std::chrono::milliseconds timeout);

struct ApplyResult {
  std::vector<std::string> published;  // "icp v7"
  std::vector<std::string> unchanged;  // "stage_model v3"
};

// Publishes every kind whose content differs from the latest published one, each with the next
// global version; the same content again publishes nothing.
absl::StatusOr<ApplyResult> ApplyConfig(const kafka::Properties& connection,
                                        const std::string& topic, const std::string& dir,
                                        const std::string& comment,
                                        std::chrono::milliseconds timeout);

}  // namespace leadflow::ctl
