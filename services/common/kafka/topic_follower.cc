#include "services/common/kafka/topic_follower.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "services/common/base/status_macros.h"
#include "services/common/base/strings.h"

namespace leadflow::kafka {

absl::StatusOr<std::map<int32_t, int64_t>> TopicFollower::ParseToken(std::string_view token,
                                                                     int partitions) {
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(StrCat("resume_token: ", why));
  };
  if (!StartsWith(token, "v1:")) return bad("not a token of this stream (no v1: prefix)");
  std::map<int32_t, int64_t> out;
  for (absl::string_view item : absl::StrSplit(
           absl::string_view(token.data() + 3, token.size() - 3), ',', absl::SkipEmpty())) {
    std::vector<absl::string_view> kv = absl::StrSplit(item, '=');
    int32_t partition = 0;
    int64_t offset = 0;
    if (kv.size() != 2 || !absl::SimpleAtoi(kv[0], &partition) ||
        !absl::SimpleAtoi(kv[1], &offset) || partition < 0 || offset < 0) {
      return bad(StrCat("'", ToStd(item), "' is not <partition>=<offset>"));
    }
    if (partition >= partitions) {
      return bad(
          StrCat("partition ", partition, " does not exist (the topic has ", partitions, ")"));
    }
    out[partition] = offset;
  }
  if (static_cast<int>(out.size()) != partitions) {
    return bad(StrCat("names ", out.size(), " of the topic's ", partitions, " partitions"));
  }
  return out;
}

absl::StatusOr<std::unique_ptr<TopicFollower>> TopicFollower::Create(
    const Properties& properties, std::string topic, int partitions, const StartAt& start,
    std::chrono::milliseconds timeout) {
  if (partitions <= 0) return absl::UnavailableError(StrCat(topic, ": partition count unknown"));
  Properties props = properties;
  props.emplace("group.id", "leadflow-topic-follower");  // required by the client; never joined
  props["isolation.level"] = "read_committed";
  props["enable.auto.commit"] = "false";
  // A read_committed fetch can sit out its whole wait after a transaction commits (measured: ~430
  // ms more at librdkafka's default 500); a follower serves people waiting on events.
  props.emplace("fetch.wait.max.ms", "50");
  std::map<int32_t, int64_t> positions;
  if (start.token.has_value()) {
    LF_ASSIGN_OR_RETURN(positions, ParseToken(*start.token, partitions));
    // A token older than the retained log must fail, not silently jump ahead.
    props["auto.offset.reset"] = "error";
  }
  LF_ASSIGN_OR_RETURN(std::unique_ptr<Consumer> consumer, Consumer::Create(props));
  std::unique_ptr<TopicFollower> out(new TopicFollower(topic, std::move(consumer)));
  if (start.token.has_value()) {
    out->positions_ = std::move(positions);
  } else {
    std::vector<int32_t> all;
    for (int32_t p = 0; p < partitions; ++p) all.push_back(p);
    LF_ASSIGN_OR_RETURN(
        std::vector<TopicPartitionOffset> offsets,
        out->consumer_->OffsetsForTimes(topic, all, start.timestamp_ms.value_or(-1), timeout));
    for (const TopicPartitionOffset& o : offsets) out->positions_[o.partition] = o.offset;
  }
  std::vector<TopicPartitionOffset> assign;
  for (const auto& [p, offset] : out->positions_) assign.push_back({topic, p, offset});
  LF_RETURN_IF_ERROR(out->consumer_->Assign(assign));
  return out;
}

absl::StatusOr<std::optional<ConsumedRecord>> TopicFollower::Next(
    std::chrono::milliseconds timeout) {
  LF_ASSIGN_OR_RETURN(std::optional<ConsumedRecord> record, consumer_->Poll(timeout));
  if (!record.has_value()) return record;
  auto it = positions_.find(record->partition());
  if (it == positions_.end() || record->offset() < it->second) {
    return std::optional<ConsumedRecord>();  // a re-delivery below the position (librdkafka 2.0)
  }
  it->second = record->offset() + 1;
  return record;
}

std::string TopicFollower::Token() const {
  std::string out = "v1:";
  for (const auto& [p, offset] : positions_) {
    StrAppend(&out, out.size() > 3 ? "," : "", p, "=", offset);
  }
  return out;
}

}  // namespace leadflow::kafka
