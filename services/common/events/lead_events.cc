#include "services/common/events/lead_events.h"

#include "services/common/base/strings.h"

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
  const google::protobuf::OneofDescriptor* oneof =
      v1::LeadEvent::descriptor()->FindOneofByName("event");
  const google::protobuf::FieldDescriptor* field =
      v1::LeadEvent::GetReflection()->GetOneofFieldDescriptor(event, oneof);
  return field == nullptr ? std::string() : field->name();
}

std::string ProtobufContentType(std::string_view full_name) {
  return StrCat("application/x-protobuf; message=", full_name);
}

kafka::OutgoingRecord LeadEventRecord(std::string_view topic, const v1::LeadEvent& event) {
  kafka::OutgoingRecord record;
  record.topic = std::string(topic);
  record.key = event.envelope().lead_id();
  record.value = event.SerializeAsString();
  record.headers.push_back({"leadflow-event-type", EventKind(event)});
  record.headers.push_back(
      {"content-type", ProtobufContentType(v1::LeadEvent::descriptor()->full_name())});
  if (!event.envelope().trace_parent().empty()) {
    record.headers.push_back({"traceparent", event.envelope().trace_parent()});
  }
  return record;
}

}  // namespace leadflow::events
