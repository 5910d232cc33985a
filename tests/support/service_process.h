// A leadflow service binary as a child process, the way integration tests run it: started with its
// flags (ports 0), its ports read from its "<name> listening grpc_port=N http_port=M" log line,
// ready when /readyz answers 200 — all waited for with generous deadlines. Restartable.
#pragma once

#include <httplib.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/support/child_process.h"
#include "tools/common/client_security.h"

namespace leadflow::testing {

class ServiceProcess {
 public:
  // `name` as the service logs it ("intake"); stdout and stderr are appended to `log_path`.
  // `security`: how to reach it; plaintext (the default) also starts it with --tls.plaintext=true
  // unless the flags set tls.* themselves.
  ServiceProcess(std::string name, std::string binary, std::string log_path,
                 local::ClientSecurity security = {});

  // Starts the binary with `flags` and waits until it listens and is ready (gtest assertions;
  // wrap in ASSERT_NO_FATAL_FAILURE).
  void Start(const std::vector<std::string>& flags);
  // Start without gtest assertions: false, and `why`, when it exited or was not ready in time.
  bool Launch(const std::vector<std::string>& flags, std::string* why);
  // Starts it again with the flags of the last Start, on the ports it had then (clients keep
  // their addresses, as behind a Kubernetes Service), e.g. after a Stop or after it exited.
  void Restart();
  // Restart without gtest assertions (an orchestrator that tries again later).
  bool TryRestart(std::string* why);
  // Sends `signal` and reaps the process; the exit code as ChildProcess::Stop.
  int Stop(int signal);
  // Sends `signal` without waiting (SIGSTOP, SIGCONT); false when it is not running.
  bool Signal(int signal);
  // Waits up to `seconds` for it to exit by itself; the exit code as ChildProcess::Wait.
  int Wait(int seconds);
  bool running() const;
  pid_t pid() const;

  int grpc_port() const { return grpc_port_; }
  int http_port() const { return http_port_; }
  std::string grpc_address() const;
  // A client for its HTTP port (valid until the next Start), with the security it was made with.
  httplib::Client& http() { return *http_; }
  // A gRPC channel to it, with the security it was made with.
  std::shared_ptr<grpc::Channel> channel() const;
  const local::ClientSecurity& security() const { return security_; }
  const std::string& name() const { return name_; }
  const std::string& log_path() const { return log_path_; }

 private:
  std::string name_;
  std::string binary_;
  std::string log_path_;
  local::ClientSecurity security_;
  std::vector<std::string> flags_;  // of the last Start
  std::unique_ptr<ChildProcess> process_;
  int grpc_port_ = 0;
  int http_port_ = 0;
  std::unique_ptr<httplib::Client> http_;
};

}  // namespace leadflow::testing
