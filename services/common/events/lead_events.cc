#include "services/common/events/lead_events.h"

#include "services/common/base/strings.h"
#include "services/common/events/ids.h"

namespace leadflow::events {

google::protobuf::Timestamp TimestampFromMillis(int64_t ms) {
  google::protobuf::Timestamp t;
  int64_t seconds = ms / 1000;
  int64_t millis = ms % 1000;
  if (millis < 0) {  // nanos must be non-negative
    millis += 1000;
    --seconds;
  }
  t.set_seconds(seconds);
  t.set_nanos(static_cast<int32_t>(millis * 1'000'000));
  return t;
}

int64_t MillisFromTimestamp(const google::protobuf::Timestamp& t) {
  return t.seconds() * 1000 + t.nanos() / 1'000'000;
}

std::string EventKind(const v1::LeadEvent& event) {
  // Looked up once: every output record of every service asks.
  static const google::protobuf::OneofDescriptor* const oneof =
      v1::LeadEvent::descriptor()->FindOneofByName("event");
  const google::protobuf::FieldDescriptor* field =
      v1::LeadEvent::GetReflection()->GetOneofFieldDescriptor(event, oneof);
  return field == nullptr ? std::string() : field->name();
}

v1::LeadEvent DeriveEvent(const v1::LeadEvent& cause, std::string_view kind,
                          v1::ServiceName producer, int64_t now_ms, int64_t sub_index) {
  v1::LeadEvent e;
  const v1::EventEnvelope& in = cause.envelope();
  v1::EventEnvelope& env = *e.mutable_envelope();
  env.set_event_id(EventId(in.event_id(), kind, sub_index));
  env.set_lead_id(in.lead_id());
  *env.mutable_occurred_at() = in.occurred_at();
  *env.mutable_produced_at() = TimestampFromMillis(now_ms);
  env.set_causation_id(in.event_id());
  env.set_correlation_id(in.correlation_id());
  env.set_producer_service(producer);
  env.set_trace_parent(in.trace_parent());
  env.set_cycle(in.cycle());
  return e;
}

std::string ErasureCause(std::string_view request_id) { return StrCat("erase:", request_id); }

v1::LeadEvent ErasureEvent(std::string_view lead_id, const v1::LeadErased& request,
                           std::string_view topic, v1::ServiceName producer, int64_t now_ms) {
  v1::LeadEvent e;
  const std::string cause = ErasureCause(request.request_id());
  v1::EventEnvelope& env = *e.mutable_envelope();
  env.set_event_id(EventId(cause, "erased", topic));
  env.set_lead_id(std::string(lead_id));
  *env.mutable_occurred_at() = request.requested_at();
  *env.mutable_produced_at() = TimestampFromMillis(now_ms);
  env.set_causation_id(cause);
  env.set_correlation_id(cause);
  env.set_producer_service(producer);
  env.mutable_stage_change()->set_to_stage(v1::STAGE_ERASED);
  *e.mutable_erased() = request;
  return e;
}

kafka::OutgoingRecord ForwardErasure(const v1::LeadEvent& erased, std::string_view topic,
                                     v1::ServiceName producer, int64_t now_ms) {
  v1::LeadEvent e =
      ErasureEvent(erased.envelope().lead_id(), erased.erased(), topic, producer, now_ms);
  e.mutable_envelope()->set_trace_parent(erased.envelope().trace_parent());
  return LeadEventRecord(topic, e);
}

std::string ProtobufContentType(std::string_view full_name) {
  return StrCat("application/x-protobuf; message=", full_name);
}

kafka::OutgoingRecord LeadEventRecord(std::string_view topic, const v1::LeadEvent& event) {
  kafka::OutgoingRecord record;
  record.topic = std::string(topic);
  record.key = event.envelope().lead_id();
  record.value = event.SerializeAsString();
  static const std::string* const content_type =
      new std::string(ProtobufContentType(v1::LeadEvent::descriptor()->full_name()));
  record.headers.reserve(3);
  record.headers.push_back({"leadflow-event-type", EventKind(event)});
  record.headers.push_back({"content-type", *content_type});
  if (!event.envelope().trace_parent().empty()) {
    record.headers.push_back({"traceparent", event.envelope().trace_parent()});
  }
  return record;
}

}  // namespace leadflow::events
