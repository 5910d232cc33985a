#include "tests/support/service_process.h"

#include <signal.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <sstream>

#include "gtest/gtest.h"
#include "services/common/base/strings.h"
#include "tests/support/kafka_env.h"

namespace leadflow::testing {

ServiceProcess::ServiceProcess(std::string name, std::string binary, std::string log_path,
                               local::ClientSecurity security)
    : name_(std::move(name)),
      binary_(std::move(binary)),
      log_path_(std::move(log_path)),
      security_(std::move(security)) {}

void ServiceProcess::Start(const std::vector<std::string>& flags) {
  std::string why;
  ASSERT_TRUE(Launch(flags, &why)) << why;
}

bool ServiceProcess::Launch(const std::vector<std::string>& flags, std::string* why) {
  flags_ = flags;
  // Only the log written by this start counts (a restart appends to the same file).
  size_t log_offset = 0;
  {
    std::ifstream in(log_path_, std::ios::ate);
    if (in) log_offset = static_cast<size_t>(in.tellg());
  }
  std::vector<std::string> argv = {binary_};
  const bool sets_tls = std::any_of(flags.begin(), flags.end(),
                                    [](const std::string& f) { return f.rfind("--tls.", 0) == 0; });
  if (security_.plaintext() && !sets_tls) argv.push_back("--tls.plaintext=true");
  argv.insert(argv.end(), flags.begin(), flags.end());
  process_ = std::make_unique<ChildProcess>(argv, log_path_);
  const std::regex listening(name_ + R"( listening grpc_port=(\d+) http_port=(\d+))");
  std::string written;  // what this start logged so far
  bool exited = false;
  const bool listening_or_exited = WaitUntil(
      [&] {
        std::ifstream in(log_path_);
        in.seekg(static_cast<std::streamoff>(log_offset));
        std::stringstream text;
        text << in.rdbuf();
        written = text.str();
        std::smatch m;
        if (std::regex_search(written, m, listening)) {
          grpc_port_ = std::stoi(m[1]);
          http_port_ = std::stoi(m[2]);
          return true;
        }
        // A process that exited will not listen: say why at once instead of waiting it out.
        exited = !process_->running();
        return exited;
      },
      kKafkaDeadline);
  if (!listening_or_exited || exited) {
    *why = StrCat(name_, exited ? " exited" : " did not start", "; its log (", log_path_, "):\n",
                  written.substr(written.size() > 4000 ? written.size() - 4000 : 0));
    return false;
  }
  http_ = security_.HttpClient(security_.plaintext() ? "127.0.0.1" : "localhost", http_port_);
  if (!WaitUntil(
          [&] {
            auto r = http_->Get("/readyz");
            return r && r->status == 200;
          },
          kKafkaDeadline)) {
    *why = StrCat(name_, " not ready; see ", log_path_);
    return false;
  }
  return true;
}

void ServiceProcess::Restart() {
  std::string why;
  ASSERT_TRUE(TryRestart(&why)) << why;
}

bool ServiceProcess::TryRestart(std::string* why) {
  if (process_ != nullptr && process_->running()) process_->Stop(SIGTERM);
  const std::vector<std::string> base = flags_;
  std::vector<std::string> flags = base;
  // Later flags win: the same ports as before.
  flags.push_back(StrCat("--grpc.port=", grpc_port_));
  flags.push_back(StrCat("--http.port=", http_port_));
  const bool started = Launch(flags, why);
  flags_ = base;
  return started;
}

int ServiceProcess::Stop(int signal) { return process_ == nullptr ? -1 : process_->Stop(signal); }

bool ServiceProcess::Signal(int signal) { return process_ != nullptr && process_->Signal(signal); }

int ServiceProcess::Wait(int seconds) { return process_ == nullptr ? -1 : process_->Wait(seconds); }

bool ServiceProcess::running() const { return process_ != nullptr && process_->running(); }

pid_t ServiceProcess::pid() const { return process_ == nullptr ? -1 : process_->pid(); }

std::string ServiceProcess::grpc_address() const { return StrCat("127.0.0.1:", grpc_port_); }

std::shared_ptr<grpc::Channel> ServiceProcess::channel() const {
  // With TLS, by the name in the server certificate.
  return security_.Channel(security_.plaintext() ? grpc_address()
                                                 : StrCat("localhost:", grpc_port_));
}

}  // namespace leadflow::testing
