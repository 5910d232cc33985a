// The exit codes leadflowctl promises to scripts, and the one place a gRPC status becomes one.
#pragma once

#include <string>

#include <grpcpp/support/status.h>

namespace leadflow::ctl {

enum class ExitCode : int {
  kDone = 0,
  kFailed = 1,       // an RPC or the command failed
  kBadUsage = 2,     // the command line is wrong (parse errors, unknown enum values)
  kPartial = 3,      // done, but some rows were rejected (import)
  kNotFound = 4,     // NOT_FOUND
  kUnavailable = 5,  // UNAVAILABLE or DEADLINE_EXCEEDED: the service is down or too slow
};

// The exit code of a finished RPC.
ExitCode ExitCodeOf(grpc::StatusCode code);

// "FAILED_PRECONDITION: the lead is not awaiting an answer" — what leadflowctl prints after
// "leadflowctl: " when an RPC fails.
std::string DescribeRpcError(const grpc::Status& status);

// The exit codes, for --help.
const char* ExitCodesHelp();

}  // namespace leadflow::ctl
