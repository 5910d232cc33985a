// Fuzz target: intake admission (validation and normalisation) of hostile submissions. The input
// is either a serialized LeadSubmission, or — when it does not parse as one — text cut into the
// fields a webhook fills (email, names, title, phone, country, company, domain), so both the
// wire path (raw topic, gRPC) and hostile strings reach Admit(). Admit must never crash, never
// admit a submission with violations, and always name the field of a violation.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "leadflow/v1/lead.pb.h"
#include "services/intake/admission.h"

namespace {

leadflow::v1::LeadSubmission FromText(const uint8_t* data, size_t size) {
  // Fields separated by '\n': the fuzzer finds the separator from the seeds.
  std::vector<std::string> parts(1);
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == '\n' && parts.size() < 9) {
      parts.emplace_back();
    } else {
      parts.back().push_back(static_cast<char>(data[i]));
    }
  }
  parts.resize(9);
  leadflow::v1::LeadSubmission s;
  s.set_idempotency_key(parts[0]);
  s.set_source_system("fuzz");
  s.mutable_person()->set_email(parts[1]);
  s.mutable_person()->set_first_name(parts[2]);
  s.mutable_person()->set_last_name(parts[3]);
  s.mutable_person()->set_job_title(parts[4]);
  s.mutable_person()->set_phone(parts[5]);
  s.mutable_person()->set_country_code(parts[6]);
  s.mutable_company()->set_name(parts[7]);
  s.mutable_company()->set_domain(parts[8]);
  return s;
}

void Check(const leadflow::intake::Admission& a) {
  for (const leadflow::v1::FieldViolation& v : a.violations) {
    if (v.field().empty() || v.description().empty()) __builtin_trap();
  }
  if (a.ok() && a.lead_id().empty()) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const int64_t now_ms = 1'800'000'000'000;
  leadflow::intake::AdmissionOptions options;
  options.lead_id_secret = "fuzz";
  leadflow::v1::LeadSubmission wire;
  if (wire.ParseFromArray(data, static_cast<int>(size))) {
    Check(leadflow::intake::Admit(wire, leadflow::v1::INGRESS_CHANNEL_RAW_TOPIC, now_ms, options));
  }
  Check(leadflow::intake::Admit(FromText(data, size), leadflow::v1::INGRESS_CHANNEL_HTTP, now_ms,
                                options));
  return 0;
}
