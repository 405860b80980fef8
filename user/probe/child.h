// A command that gri starts and traces from its first instruction: forked, held before
// execve until the probes are attached, then released.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace gri::probe {

struct ChildOptions {
  std::vector<std::string> argv;       // argv[0] is looked up in PATH like execvp
  std::vector<std::string> extra_env;  // "NAME=value", added to (or replacing in) environ
  std::string stdout_path;             // empty: inherit
  std::string stderr_path;             // empty: inherit
};

class HeldChild {
 public:
  // Forks; the child waits for release() before it execs.
  static Result<HeldChild> spawn(const ChildOptions& options);

  HeldChild(HeldChild&& other) noexcept;
  HeldChild& operator=(HeldChild&&) = delete;
  // A child still running is killed (SIGKILL) and reaped.
  ~HeldChild();

  pid_t pid() const { return pid_; }

  // Lets the child exec; fails when execve failed (e.g. no such command).
  Status release();

  // Waits for the exit; on timeout kills the child and fails. Returns the wait status.
  Result<int> wait(std::chrono::milliseconds timeout);

 private:
  HeldChild(pid_t pid, int gate_fd, int exec_err_fd)
      : pid_(pid), gate_fd_(gate_fd), exec_err_fd_(exec_err_fd) {}

  pid_t pid_ = -1;
  int gate_fd_ = -1;      // write end: closing it releases the child
  int exec_err_fd_ = -1;  // read end: EOF when execve succeeded, errno otherwise
  bool reaped_ = false;
};

// Runs a command to its end, no hold (spawn, release, wait); killed after `timeout`. Returns
// the wait status.
Result<int> run_to_end(const ChildOptions& options, std::chrono::milliseconds timeout);

// "exited with status 3", "killed by signal 9 (Killed)".
std::string describe_wait_status(int status);

}  // namespace gri::probe
