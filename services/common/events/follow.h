// The server side of a resumable event stream (HandoffService.WatchHandoffs,
// RecycleService.WatchRecycled): every LeadEvent committed on a lead-keyed topic, from a resume
// token, a time or now, each handed over with the token to resume after it.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "google/protobuf/timestamp.pb.h"
#include "leadflow/v1/lead.pb.h"
#include "services/common/kafka/properties.h"

namespace leadflow::events {

struct FollowOptions {
  kafka::Properties kafka;  // bootstrap.servers and pass-through
  std::string topic;
  int partitions = 0;        // the topic's partition count
  std::string resume_token;  // empty: from `since`, or now
  std::optional<google::protobuf::Timestamp> since;
  std::chrono::milliseconds timeout{15000};  // to find the start positions
  std::chrono::milliseconds poll{200};       // how often `cancelled` is asked
};

// Calls `on_event(event, token)` for every event in order per partition until it returns false or
// `cancelled()` is true (then OK). A record that does not parse as a LeadEvent is logged and
// skipped (its position still advances); a bad or expired token and a consumer failure are errors;
// transient broker errors are retried.
absl::Status FollowLeadEvents(
    const FollowOptions& options,
    const std::function<bool(const v1::LeadEvent& event, const std::string& token)>& on_event,
    const std::function<bool()>& cancelled);

}  // namespace leadflow::events
