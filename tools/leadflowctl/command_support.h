// What every RPC command of leadflowctl shares: where the services are, the per-call deadline,
// --json, parsing enum/time/amount arguments into request fields, and reporting a failed call.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/timestamp.pb.h>
#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "tools/common/client_security.h"

namespace leadflow::ctl {

// Set from the global options (--intake, ..., --deadline, --json).
struct CallOptions {
  std::string intake_address = "127.0.0.1:50051";
  std::string qualification_address = "127.0.0.1:50052";
  std::string handoff_address = "127.0.0.1:50053";
  std::string recycle_address = "127.0.0.1:50054";
  std::string reporting_address = "127.0.0.1:50055";
  std::chrono::milliseconds deadline{10000};
  bool json = false;
  // TLS, client certificate and bearer token (--ca-file, --cert-file, --key-file, --token-file;
  // LEADFLOW_CA_FILE, ... as local::ClientSecurity::FromEnv).
  local::ClientSecurity security;
};

// A channel to `address` with the options' security.
std::shared_ptr<grpc::Channel> ChannelTo(const CallOptions& options, const std::string& address);
// A context with the per-call deadline applied.
std::unique_ptr<grpc::ClientContext> UnaryContext(const CallOptions& options);

// Prints "leadflowctl: CODE: message" and returns the exit code for the status.
int FailRpc(const grpc::Status& status);
// Prints "leadflowctl: message" and returns 2 (bad usage).
int FailUsage(const absl::Status& status);
// The message in the protobuf JSON mapping, on one line.
std::string ToJsonLine(const google::protobuf::Message& message);

// The values a person may type for an enum: "bad_timing, no_budget, ..." (UNSPECIFIED left out).
std::string AllowedValues(const google::protobuf::EnumDescriptor* e);
// Accepts the short lower-case form ("bad_timing"), the full name ("REJECTION_REASON_BAD_TIMING")
// and any case or separators; the error names the flag and lists the allowed values.
absl::StatusOr<int> ParseEnumValue(const google::protobuf::EnumDescriptor* e, std::string_view text,
                                   std::string_view flag);
template <typename Enum>
absl::StatusOr<Enum> ParseEnumArg(const google::protobuf::EnumDescriptor* e, std::string_view text,
                                  std::string_view flag) {
  absl::StatusOr<int> number = ParseEnumValue(e, text, flag);
  if (!number.ok()) return number.status();
  return static_cast<Enum>(*number);
}

// An RFC 3339 time, a YYYY-MM-DD date (UTC midnight), or a duration ago ("30d", "12h"), relative
// to `now`.
absl::StatusOr<google::protobuf::Timestamp> ParseTimeArg(std::string_view text,
                                                         std::string_view flag,
                                                         std::chrono::system_clock::time_point now);

// "12000", "12,000.50" → micros of the currency unit (at most 6 decimals).
absl::StatusOr<int64_t> ParseAmountMicros(std::string_view text, std::string_view flag);
// "eur" → "EUR"; three letters.
absl::StatusOr<std::string> ParseCurrency(std::string_view text, std::string_view flag);

// A fresh idempotency key for a call whose caller gave none: "leadflowctl-<random hex>".
std::string NewIdempotencyKey();

}  // namespace leadflow::ctl
