// ConsumedRecord: accessors over an owned librdkafka message.
#include "services/common/kafka/record.h"

#include "librdkafka/rdkafkacpp.h"

namespace leadflow::kafka {

ConsumedRecord::ConsumedRecord(std::unique_ptr<RdKafka::Message> message)
    : message_(std::move(message)), topic_(message_->topic_name()) {}
ConsumedRecord::~ConsumedRecord() = default;
ConsumedRecord::ConsumedRecord(ConsumedRecord&&) noexcept = default;
ConsumedRecord& ConsumedRecord::operator=(ConsumedRecord&&) noexcept = default;

int32_t ConsumedRecord::partition() const { return message_->partition(); }
int64_t ConsumedRecord::offset() const { return message_->offset(); }
int64_t ConsumedRecord::timestamp_ms() const { return message_->timestamp().timestamp; }
bool ConsumedRecord::has_key() const { return message_->key_pointer() != nullptr; }

std::string_view ConsumedRecord::key() const {
  if (message_->key_pointer() == nullptr) return {};
  return {static_cast<const char*>(message_->key_pointer()), message_->key_len()};
}

std::string_view ConsumedRecord::value() const {
  if (message_->payload() == nullptr) return {};
  return {static_cast<const char*>(message_->payload()), message_->len()};
}

bool ConsumedRecord::is_tombstone() const { return message_->payload() == nullptr; }

Headers ConsumedRecord::headers() const {
  Headers out;
  RdKafka::Headers* hs = message_->headers();  // owned by the message
  if (hs == nullptr) return out;
  for (const RdKafka::Headers::Header& h : hs->get_all()) {
    out.push_back(
        Header{h.key(), h.value() == nullptr
                            ? std::string()
                            : std::string(static_cast<const char*>(h.value()), h.value_size())});
  }
  return out;
}

std::optional<std::string> ConsumedRecord::header(std::string_view name) const {
  for (Header& h : headers()) {
    if (h.key == name) return std::move(h.value);
  }
  return std::nullopt;
}

}  // namespace leadflow::kafka
