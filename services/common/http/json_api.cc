#include "services/common/http/json_api.h"

#include <google/protobuf/util/json_util.h>

#include <nlohmann/json.hpp>

#include "services/common/base/strings.h"

namespace leadflow::http {

Response JsonResponse(int status, const google::protobuf::Message& message, bool print_defaults) {
  google::protobuf::util::JsonPrintOptions o;
  o.preserve_proto_field_names = false;
  o.always_print_primitive_fields = print_defaults;
  std::string body;
  if (!google::protobuf::util::MessageToJsonString(message, &body, o).ok()) {
    return {500, "application/json", R"({"error":"response could not be encoded"})"};
  }
  return {status, "application/json", body};
}

Response ErrorResponse(int status, std::string_view message,
                       const std::vector<v1::FieldViolation>& violations) {
  nlohmann::json body = {{"error", message}, {"violations", nlohmann::json::array()}};
  for (const v1::FieldViolation& v : violations) {
    body["violations"].push_back({{"field", v.field()}, {"description", v.description()}});
  }
  return {status, "application/json",
          body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
}

int HttpStatusOf(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kInvalidArgument:
      return 400;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kFailedPrecondition:
      return 409;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kUnavailable:
      return 503;
    case absl::StatusCode::kDeadlineExceeded:
      return 504;
    default:
      return 500;
  }
}

Response StatusResponse(const absl::Status& status) {
  return ErrorResponse(HttpStatusOf(status), ToStd(status.message()));
}

absl::Status ParseJsonBody(const std::string& body, google::protobuf::Message* out) {
  google::protobuf::util::JsonParseOptions o;
  o.ignore_unknown_fields = false;
  auto s = google::protobuf::util::JsonStringToMessage(body, out, o);
  if (!s.ok()) {
    return absl::InvalidArgumentError(StrCat("body is not a valid ",
                                             out->GetDescriptor()->full_name(),
                                             " in JSON: ", s.message().as_string()));
  }
  return absl::OkStatus();
}

}  // namespace leadflow::http
