// A child process for tests: started with fork/exec, stopped with a signal, always reaped.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace leadflow::testing {

class ChildProcess {
 public:
  // Starts `argv[0]` with `argv`; stdout and stderr go to `log_path` (appended).
  ChildProcess(const std::vector<std::string>& argv, const std::string& log_path);
  ~ChildProcess();  // SIGKILLs and reaps a child that is still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  // Sends `signal` without waiting (SIGSTOP, SIGCONT, ...); false when the child is gone.
  bool Signal(int signal);
  // Sends `signal` and waits for the exit as Wait() does: the exit code, 128 + signal number when
  // killed by a signal, or -1 when it had not exited within `timeout_seconds` (then SIGKILLed).
  int Stop(int signal, int timeout_seconds = 60);
  // Waits for the child to exit by itself; returns its exit code (as Stop), or -1 when it did not
  // exit within `timeout_seconds` (it is then killed).
  int Wait(int timeout_seconds);

 private:
  pid_t pid_ = -1;
  int status_ = 0;
  bool reaped_ = false;
};

}  // namespace leadflow::testing
