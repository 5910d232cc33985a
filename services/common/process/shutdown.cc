// Signal handling with sigwait in a dedicated thread: no async-signal-safety puzzles, no handlers.
#include "services/common/process/shutdown.h"

#include <pthread.h>
#include <signal.h>

#include "services/common/base/status_macros.h"
#include "services/common/log/log.h"

namespace leadflow::process {
namespace {

sigset_t ShutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGUSR2);  // internal: wakes the watcher when the ShutdownSignal is destroyed
  return set;
}

}  // namespace

ShutdownSignal::ShutdownSignal() {
  sigset_t set = ShutdownSignals();
  LF_CHECK(pthread_sigmask(SIG_BLOCK, &set, nullptr) == 0, "pthread_sigmask failed");
  watcher_ = std::thread([this] { WatchSignals(); });
}

ShutdownSignal::~ShutdownSignal() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_watcher_ = true;
  }
  pthread_kill(watcher_.native_handle(), SIGUSR2);
  watcher_.join();
}

void ShutdownSignal::WatchSignals() {
  const sigset_t set = ShutdownSignals();
  while (true) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (sig == SIGUSR2 && stopping_watcher_) return;
      if (sig == SIGUSR2) continue;
    }
    log::Info("shutdown requested", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
    Request(sig);
  }
}

void ShutdownSignal::Request(int signal_number) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!signal_.has_value()) signal_ = signal_number;
  }
  cv_.notify_all();
}

bool ShutdownSignal::requested() const {
  std::lock_guard<std::mutex> lock(mu_);
  return signal_.has_value();
}

std::optional<int> ShutdownSignal::signal() const {
  std::lock_guard<std::mutex> lock(mu_);
  return signal_;
}

bool ShutdownSignal::WaitFor(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [this] { return signal_.has_value(); });
}

void ShutdownSignal::Wait() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return signal_.has_value(); });
}

}  // namespace leadflow::process
