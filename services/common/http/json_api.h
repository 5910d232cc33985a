// The JSON side of the services' HTTP APIs, the same for all of them: protobuf messages in the
// protobuf JSON mapping, errors as {"error": "...", "violations": [{"field", "description"}]}, and
// one mapping from status codes to HTTP statuses.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "google/protobuf/message.h"
#include "leadflow/v1/common.pb.h"
#include "services/common/http/http_server.h"

namespace leadflow::http {

// `message` in the protobuf JSON mapping (lowerCamelCase names) with `status`. `print_defaults`:
// also the fields at their default (zero counts, empty lists), for reports read by scripts and the
// dashboard.
Response JsonResponse(int status, const google::protobuf::Message& message,
                      bool print_defaults = false);

// {"error": message, "violations": [...]}; text that is not UTF-8 is replaced, never thrown on.
Response ErrorResponse(int status, std::string_view message,
                       const std::vector<v1::FieldViolation>& violations = {});

// The HTTP status of a status code: 400 invalid, 401 unauthenticated, 403 permission denied,
// 404 not found, 409 failed precondition, 429 resource exhausted, 503 unavailable, 504 deadline
// exceeded, 500 otherwise.
int HttpStatusOf(const absl::Status& status);

// ErrorResponse(HttpStatusOf(status), status.message()).
Response StatusResponse(const absl::Status& status);

// Parses a JSON body into `out`; unknown fields are errors. InvalidArgument names the type and why.
absl::Status ParseJsonBody(const std::string& body, google::protobuf::Message* out);

}  // namespace leadflow::http
