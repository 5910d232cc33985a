// An independent verifier of a pipeline run, after Kafka's own transactions_test and
// streams_eos_test: it knows the event contract (proto/leadflow/v1, docs/events.md) and nothing of
// the services' code, and it judges only what a read_committed consumer of the lead topics saw.
// Feed it every record, then ask; every answer is a list of findings, one line each, empty when
// the run was sound. The checks are pure (tests/unit/support/pipeline_verifier_test.cc).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "leadflow/v1/lead.pb.h"

namespace leadflow::testing {

// One record as a consumer read it.
struct ReadRecord {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  std::string key;
  std::string value;
};

class PipelineVerifier {
 public:
  // A record of a lead-keyed topic (value: a LeadEvent). A value that does not parse, or whose
  // envelope names another lead than the record key, is a finding (Malformed()).
  void Add(const ReadRecord& record);

  size_t events() const { return events_.size(); }
  std::vector<std::string> Malformed() const { return malformed_; }
  // Event ids that appear more than once, on one topic or across topics.
  std::vector<std::string> Duplicates() const;
  // Effects read before their cause: on the same partition the cause must have the lower offset;
  // across topics it must not have been produced later (causation_id names the cause's event id).
  std::vector<std::string> CausalityViolations() const;
  // Lead by lead, the stages entered (envelope.stage_change.to_stage) against `expected` (lead id
  // → stages, in any order): stages missing, stages not expected, expected leads never seen, and
  // leads seen but not expected.
  std::vector<std::string> StageMismatches(
      const std::map<std::string, std::vector<v1::Stage>>& expected) const;
  // Stage entries counted from the topics as reporting's cohort funnel counts them: once per lead,
  // cycle and stage.
  std::map<v1::Stage, int64_t> EnteredCounts() const;

 private:
  struct Seen {
    std::string topic;
    int32_t partition = 0;
    int64_t offset = 0;
    int64_t produced_ms = 0;
    v1::LeadEvent event;
  };
  std::vector<Seen> events_;
  std::vector<std::string> malformed_;
};

}  // namespace leadflow::testing
