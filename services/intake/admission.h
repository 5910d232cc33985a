// Admission: a raw LeadSubmission becomes a LeadAdmitted event with its lead id, or a list of
// field violations. Pure (no I/O, time passed in); the same for every way in (gRPC, HTTP, the raw
// topic, CSV), so a submission is judged identically whichever way it came.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "leadflow/v1/common.pb.h"
#include "leadflow/v1/lead.pb.h"

namespace leadflow::intake {

struct AdmissionOptions {
  // Key of the lead id HMAC (Lead.lead_id). The same in every instance, never changed once leads
  // exist (a new key gives every person a new id).
  std::string lead_id_secret;
  // Timestamps (occurred_at, touched_at, consent.recorded_at) must lie within
  // [now - max_past_ms, now + max_future_ms].
  int64_t max_past_ms = int64_t{10} * 366 * 24 * 3600 * 1000;
  int64_t max_future_ms = int64_t{3600} * 1000;
  // Serialized submission size limit.
  size_t max_submission_bytes = 64 * 1024;
  // Free-mail domains beyond the built-in list.
  std::set<std::string, std::less<>> extra_free_mail_domains;
};

struct Admission {
  // Empty when admitted. Each names the field (proto path) and why; never the value.
  std::vector<v1::FieldViolation> violations;
  // When admitted: envelope (ids, times, causation) + admitted.
  v1::LeadEvent event;
  bool ok() const { return violations.empty(); }
  const std::string& lead_id() const { return event.envelope().lead_id(); }
};

Admission Admit(const v1::LeadSubmission& submission, v1::IngressChannel ingress, int64_t now_ms,
                const AdmissionOptions& options);

// The lead id of a normalised email: HMAC-SHA-256 under `secret`, first 16 bytes as a UUID.
std::string LeadIdForEmail(std::string_view email_normalized, std::string_view secret);
// The external cause of a submission: "submission:<source_system>:<idempotency_key>".
std::string SubmissionCause(std::string_view source_system, std::string_view idempotency_key);
// The violations as one line for logs, DLQ details and HTTP: "field: why; field: why".
std::string DescribeViolations(const std::vector<v1::FieldViolation>& violations);

}  // namespace leadflow::intake
