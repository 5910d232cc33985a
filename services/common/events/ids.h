// Deterministic ids: event ids derived from their cause (so a replay yields the same id, and
// consumers dedup on it) and keyed digests for ids that must not be guessable from their input.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace leadflow::events {

// SHA-256 of `data` (32 raw bytes).
std::string Sha256(std::string_view data);
// HMAC-SHA-256 of `data` under `key` (32 raw bytes).
std::string HmacSha256(std::string_view key, std::string_view data);
// Lowercase hex of raw bytes.
std::string HexEncode(std::string_view bytes);
// The first 16 bytes of `digest` as a lowercase UUID string (8-4-4-4-12 hex digits).
std::string UuidFromDigest(std::string_view digest);

// The event id of the envelope contract (common.proto EventEnvelope.event_id): the first 16 bytes
// of SHA-256(cause_key + "/" + kind + "/" + sub_index) as a lowercase UUID string.
std::string EventId(std::string_view cause_key, std::string_view kind, int64_t sub_index = 0);
// The same with a textual sub_index (LeadErased: the topic it is written to).
std::string EventId(std::string_view cause_key, std::string_view kind, std::string_view sub_index);

}  // namespace leadflow::events
