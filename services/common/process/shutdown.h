// Graceful shutdown: SIGTERM/SIGINT become a request that the service's main loop observes, so it
// can commit, close its stores and leave its consumer group instead of dying mid-transaction.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

namespace leadflow::process {

class ShutdownSignal {
 public:
  // Blocks SIGTERM and SIGINT in the calling thread and every thread it later starts, and starts a
  // thread that waits for them. Construct it first in main(), before any other thread exists.
  ShutdownSignal();
  ~ShutdownSignal();
  ShutdownSignal(const ShutdownSignal&) = delete;
  ShutdownSignal& operator=(const ShutdownSignal&) = delete;

  // Asks for shutdown from inside the process (a fatal error, an admin call); reason is logged.
  void Request(int signal_number = 0);

  bool requested() const;
  // The signal that asked for shutdown, 0 when it was Request() without a signal.
  std::optional<int> signal() const;

  // Waits until shutdown is requested (returns true) or `timeout` passes (returns false).
  bool WaitFor(std::chrono::milliseconds timeout);
  void Wait();

 private:
  void WatchSignals();

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::optional<int> signal_;
  bool stopping_watcher_ = false;
  std::thread watcher_;
};

}  // namespace leadflow::process
