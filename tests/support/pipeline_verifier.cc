#include "tests/support/pipeline_verifier.h"

#include <algorithm>
#include <set>
#include <tuple>

#include "services/common/base/strings.h"

namespace leadflow::testing {
namespace {

int64_t Millis(const google::protobuf::Timestamp& t) {
  return t.seconds() * 1000 + t.nanos() / 1000000;
}

std::string Where(const std::string& topic, int32_t partition, int64_t offset) {
  return StrCat(topic, "/", partition, "@", offset);
}

}  // namespace

void PipelineVerifier::Add(const ReadRecord& record) {
  Seen seen{record.topic, record.partition, record.offset, 0, {}};
  const std::string where = Where(record.topic, record.partition, record.offset);
  if (!seen.event.ParseFromString(record.value)) {
    malformed_.push_back(StrCat(where, ": not a LeadEvent"));
    return;
  }
  if (seen.event.envelope().lead_id() != record.key) {
    malformed_.push_back(StrCat(where, ": key '", record.key, "' but envelope.lead_id '",
                                seen.event.envelope().lead_id(), "'"));
  }
  if (seen.event.envelope().event_id().empty()) {
    malformed_.push_back(StrCat(where, ": no event id"));
  }
  seen.produced_ms = Millis(seen.event.envelope().produced_at());
  events_.push_back(std::move(seen));
}

std::vector<std::string> PipelineVerifier::Duplicates() const {
  std::map<std::string, std::vector<const Seen*>> by_id;
  for (const Seen& s : events_) by_id[s.event.envelope().event_id()].push_back(&s);
  std::vector<std::string> out;
  for (const auto& [id, copies] : by_id) {
    if (copies.size() < 2) continue;
    std::string line = StrCat("event ", id, " (", copies.front()->event.envelope().lead_id(), ") ",
                              copies.size(), " times:");
    for (const Seen* s : copies) StrAppend(&line, " ", Where(s->topic, s->partition, s->offset));
    out.push_back(line);
  }
  return out;
}

std::vector<std::string> PipelineVerifier::CausalityViolations() const {
  std::map<std::string, const Seen*> by_id;
  for (const Seen& s : events_) by_id.emplace(s.event.envelope().event_id(), &s);
  std::vector<std::string> out;
  for (const Seen& effect : events_) {
    auto cause_it = by_id.find(effect.event.envelope().causation_id());
    if (cause_it == by_id.end()) continue;  // an external cause (a submission, a timer, ...)
    const Seen& cause = *cause_it->second;
    const bool same_partition = cause.topic == effect.topic && cause.partition == effect.partition;
    const bool ordered =
        same_partition ? cause.offset < effect.offset : cause.produced_ms <= effect.produced_ms;
    if (!ordered) {
      out.push_back(StrCat("lead ", effect.event.envelope().lead_id(), ": ",
                           Where(effect.topic, effect.partition, effect.offset),
                           " before its cause ",
                           Where(cause.topic, cause.partition, cause.offset)));
    }
  }
  return out;
}

std::vector<std::string> PipelineVerifier::StageMismatches(
    const std::map<std::string, std::vector<v1::Stage>>& expected) const {
  std::map<std::string, std::set<v1::Stage>> seen;
  for (const Seen& s : events_) {
    std::set<v1::Stage>& stages = seen[s.event.envelope().lead_id()];
    if (s.event.envelope().has_stage_change()) {
      stages.insert(s.event.envelope().stage_change().to_stage());
    }
  }
  auto names = [](const std::set<v1::Stage>& stages) {
    std::string out;
    for (v1::Stage st : stages) StrAppend(&out, out.empty() ? "" : " ", v1::Stage_Name(st));
    return out;
  };
  std::vector<std::string> out;
  for (const auto& [lead, stages] : expected) {
    const std::set<v1::Stage> want(stages.begin(), stages.end());
    auto it = seen.find(lead);
    if (it == seen.end()) {
      out.push_back(StrCat("lead ", lead, ": never seen (expected ", names(want), ")"));
      continue;
    }
    if (it->second != want) {
      out.push_back(
          StrCat("lead ", lead, ": entered ", names(it->second), ", expected ", names(want)));
    }
  }
  for (const auto& [lead, stages] : seen) {
    if (expected.count(lead) == 0) out.push_back(StrCat("lead ", lead, ": seen, not expected"));
  }
  return out;
}

std::map<v1::Stage, int64_t> PipelineVerifier::EnteredCounts() const {
  std::set<std::tuple<std::string, int32_t, v1::Stage>> entries;
  for (const Seen& s : events_) {
    const v1::EventEnvelope& env = s.event.envelope();
    if (!env.has_stage_change()) continue;
    entries.emplace(env.lead_id(), std::max(1, env.cycle()), env.stage_change().to_stage());
  }
  std::map<v1::Stage, int64_t> out;
  for (const auto& [lead, cycle, stage] : entries) ++out[stage];
  return out;
}

}  // namespace leadflow::testing
