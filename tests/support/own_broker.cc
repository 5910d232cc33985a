#include "tests/support/own_broker.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "gtest/gtest.h"
#include "services/common/base/strings.h"
#include "tests/support/kafka_env.h"

namespace leadflow::testing {
namespace {

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  EXPECT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace

OwnBroker::OwnBroker(std::string run_dir, std::string security)
    : run_dir_(std::move(run_dir)), security_(std::move(security)) {
  port_ = FreePort();
  controller_port_ = FreePort();
  while (controller_port_ == port_) controller_port_ = FreePort();
}

OwnBroker::~OwnBroker() { (void)Script(keep_data_ ? "stop" : "stop --purge"); }

std::string OwnBroker::Start() { return Script("start"); }

void OwnBroker::KillNine() {
  std::ifstream pid_file(run_dir_ + "/pid");
  pid_t pid = 0;
  pid_file >> pid;
  ASSERT_GT(pid, 0);
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  ASSERT_TRUE(WaitUntil([&] { return kill(pid, 0) != 0; }, std::chrono::seconds(60)));
}

kafka::Properties OwnBroker::ClientSecurity() const {
  kafka::Properties out;
  std::ifstream in(run_dir_ + "/client.properties");
  std::string line;
  while (std::getline(in, line)) {
    const size_t eq = line.find('=');
    if (eq != std::string::npos && !line.empty() && line[0] != '#') {
      out[line.substr(0, eq)] = line.substr(eq + 1);
    }
  }
  return out;
}

// Runs scripts/kafka.sh (stderr to its log in the run dir's parent) and returns its stdout: the
// bootstrap address for start.
std::string OwnBroker::Script(const std::string& args) {
  const std::string cmd =
      StrCat("KAFKA_RUN_DIR='", run_dir_, "' KAFKA_SECURITY=", security_, " KAFKA_PORT=", port_,
             " KAFKA_CONTROLLER_PORT=", controller_port_, " '", LEADFLOW_SOURCE_DIR,
             "/scripts/kafka.sh' ", args, " 2>>'", run_dir_, ".script.log'");
  std::string out;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return out;
  char buf[256];
  while (fgets(buf, sizeof(buf), pipe) != nullptr) out += buf;
  EXPECT_EQ(pclose(pipe), 0) << cmd << " (see " << run_dir_ << ".script.log)";
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

}  // namespace leadflow::testing
