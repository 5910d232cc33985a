// Fuzz target: the HTTP JSON decoding every service's routes use (http::ParseJsonBody, the
// protobuf JSON mapping with unknown fields refused), on the bodies intake takes: a webhook's
// single lead, a batch and an engagement; what decodes goes on through admission. Decoding must
// fail with an InvalidArgument that names the type, never crash.
#include <cstddef>
#include <cstdint>
#include <string>

#include "leadflow/v1/intake_service.pb.h"
#include "services/common/http/json_api.h"
#include "services/intake/admission.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  leadflow::intake::AdmissionOptions options;
  options.lead_id_secret = "fuzz";
  // POST /v1/leads: one LeadSubmission (a webhook's shape) or {"submissions": [...]}.
  leadflow::v1::LeadSubmission one;
  absl::Status s = leadflow::http::ParseJsonBody(body, &one);
  if (s.ok()) {
    (void)leadflow::intake::Admit(one, leadflow::v1::INGRESS_CHANNEL_HTTP, 1'800'000'000'000,
                                  options);
  } else if (s.code() != absl::StatusCode::kInvalidArgument || s.message().empty()) {
    __builtin_trap();
  }
  leadflow::v1::SubmitLeadsRequest batch;
  s = leadflow::http::ParseJsonBody(body, &batch);
  if (s.ok()) {
    for (const leadflow::v1::LeadSubmission& submission : batch.submissions()) {
      (void)leadflow::intake::Admit(submission, leadflow::v1::INGRESS_CHANNEL_HTTP,
                                    1'800'000'000'000, options);
    }
  } else if (s.code() != absl::StatusCode::kInvalidArgument) {
    __builtin_trap();
  }
  leadflow::v1::RecordEngagementRequest engagement;  // POST /v1/engagements
  s = leadflow::http::ParseJsonBody(body, &engagement);
  if (!s.ok() && s.code() != absl::StatusCode::kInvalidArgument) __builtin_trap();
  return 0;
}
