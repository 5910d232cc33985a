// Stored serialized samples of every event and record type (tests/data/events/), used to prove
// that schema changes stay wire-compatible: bytes written by an older build must still parse.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "google/protobuf/message.h"

namespace leadflow::testing {

// One sample: a top-level type and, for types with a oneof payload, the member it carries.
struct GoldenSample {
  std::string file_name;     // "lead_event.captured.binpb"
  std::string message_type;  // "leadflow.v1.LeadEvent"
  std::string oneof_member;  // "captured", or empty for types without a payload oneof
};

// Every sample the current schema defines: one per member of the payload oneofs of LeadEvent,
// SalesFeedback and ConfigRecord, plus one each of LeadSubmission, AccountRecord and DeadLetter.
std::vector<GoldenSample> AllGoldenSamples();

// Creates an empty message of a leadflow.v1 type by full name (nullptr when unknown).
std::unique_ptr<google::protobuf::Message> NewMessage(const std::string& full_name);

// Fills every field of `message` (and nested messages, to a bounded depth) with deterministic
// values derived from field names and numbers; for the top-level payload oneof sets only
// `oneof_member`. Deterministic, so regenerating gives the same bytes.
void FillSample(google::protobuf::Message* message, const std::string& oneof_member);

}  // namespace leadflow::testing
