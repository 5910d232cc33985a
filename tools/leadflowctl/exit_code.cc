#include "tools/leadflowctl/exit_code.h"

#include "services/common/base/strings.h"

namespace leadflow::ctl {
namespace {

const char* CodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::UNKNOWN:
      return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED:
      return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS:
      return "DATA_LOSS";
    default:
      return "UNKNOWN";
  }
}

}  // namespace

ExitCode ExitCodeOf(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return ExitCode::kDone;
    case grpc::StatusCode::NOT_FOUND:
      return ExitCode::kNotFound;
    // A client cannot tell a service that is down from one that is too slow to answer: both
    // mean "try again later", which is what scripts need to know.
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return ExitCode::kUnavailable;
    default:
      return ExitCode::kFailed;
  }
}

std::string DescribeRpcError(const grpc::Status& status) {
  std::string message = status.error_message();
  if (message.empty()) message = "(no message)";
  return StrCat(CodeName(status.error_code()), ": ", message);
}

const char* ExitCodesHelp() {
  return "exit codes: 0 done, 1 failed (RPC error), 2 bad usage, 3 done but some rows rejected "
         "(import),\n            4 not found, 5 unavailable (service down or deadline exceeded)";
}

}  // namespace leadflow::ctl
