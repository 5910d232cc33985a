// Building and reading LeadEvents the way every service writes them: the envelope's times, the
// record key (the lead id) and the headers of docs/events.md ("Headers").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "google/protobuf/timestamp.pb.h"
#include "leadflow/v1/lead.pb.h"
#include "services/common/kafka/record.h"

namespace leadflow::events {

google::protobuf::Timestamp TimestampFromMillis(int64_t ms);
int64_t MillisFromTimestamp(const google::protobuf::Timestamp& t);

// The set member of LeadEvent.event ("captured", "handed_off"); "" when none is set.
std::string EventKind(const v1::LeadEvent& event);

// The record of `event` on `topic`: key = envelope.lead_id, headers leadflow-event-type,
// content-type and (when set) traceparent.
kafka::OutgoingRecord LeadEventRecord(std::string_view topic, const v1::LeadEvent& event);

// A new event caused by `cause`: event id EventId(cause's event id, kind, sub_index), the same
// lead, occurred_at, correlation id, trace and cycle; causation id = the cause's event id;
// produced_at = now; producer = `producer`. The caller sets the member and anything that differs.
v1::LeadEvent DeriveEvent(const v1::LeadEvent& cause, std::string_view kind,
                          v1::ServiceName producer, int64_t now_ms, int64_t sub_index = 0);

// The cause key of erase request `request_id` ("erase:<request_id>"): the causation and
// correlation id of every LeadErased of that request.
std::string ErasureCause(std::string_view request_id);

// The LeadErased of `request` for `lead_id` on `topic` (docs/events.md "erased"): every service
// writes the same event on its own topic, which differs only in the event id (sub_index = the
// topic), the producer and produced_at. occurred_at = requested_at; stage_change to ERASED.
v1::LeadEvent ErasureEvent(std::string_view lead_id, const v1::LeadErased& request,
                           std::string_view topic, v1::ServiceName producer, int64_t now_ms);
// The record of the next copy of the erasure `erased` (a LeadEvent with `erased` set), on `topic`
// written by `producer`; keeps its trace.
kafka::OutgoingRecord ForwardErasure(const v1::LeadEvent& erased, std::string_view topic,
                                     v1::ServiceName producer, int64_t now_ms);

// The content-type header value of a protobuf value of `full_name` (e.g. "leadflow.v1.LeadEvent").
std::string ProtobufContentType(std::string_view full_name);

}  // namespace leadflow::events
