#include "services/common/events/follow.h"

#include "services/common/events/lead_events.h"
#include "services/common/kafka/topic_follower.h"
#include "services/common/log/log.h"

namespace leadflow::events {

absl::Status FollowLeadEvents(
    const FollowOptions& options,
    const std::function<bool(const v1::LeadEvent&, const std::string&)>& on_event,
    const std::function<bool()>& cancelled) {
  kafka::TopicFollower::StartAt start;
  if (!options.resume_token.empty()) {
    start.token = options.resume_token;
  } else if (options.since.has_value()) {
    start.timestamp_ms = MillisFromTimestamp(*options.since);
  }
  absl::StatusOr<std::unique_ptr<kafka::TopicFollower>> follower = kafka::TopicFollower::Create(
      options.kafka, options.topic, options.partitions, start, options.timeout);
  if (!follower.ok()) return follower.status();
  while (!cancelled()) {
    absl::StatusOr<std::optional<kafka::ConsumedRecord>> record = (*follower)->Next(options.poll);
    if (!record.ok()) {
      if (record.status().code() == absl::StatusCode::kUnavailable) continue;  // transient
      return record.status();
    }
    if (!record->has_value()) continue;
    v1::LeadEvent event;
    const std::string_view value = (*record)->value();
    if (!event.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      log::Error("a record does not parse as a LeadEvent; not streamed",
                 {{"topic", options.topic},
                  {"partition", (*record)->partition()},
                  {"offset", (*record)->offset()}});
      continue;
    }
    if (!on_event(event, (*follower)->Token())) return absl::OkStatus();
  }
  return absl::OkStatus();
}

}  // namespace leadflow::events
