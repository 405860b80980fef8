// The process a command traces: one gri starts (`-- CMD`, held before execve until the
// probes are in) or a live one (`-p PID`, in any PID or mount namespace: the host PID and
// /proc/PID/exe reach it). Waits for the end of a session: the target's exit, SIGINT or
// SIGTERM to gri (read from a signalfd), or a duration.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "probe/child.h"

namespace gri::probe {

class Target {
 public:
  // command.argv[0] is looked up in PATH; the rest of ChildOptions as HeldChild takes it.
  static Result<std::unique_ptr<Target>> launch(const ChildOptions& command);
  static Result<std::unique_ptr<Target>> attach(pid_t pid);
  ~Target();

  pid_t pid() const { return pid_; }
  // Where uprobes attach: the resolved command path, or /proc/PID/exe.
  const std::string& binary() const { return binary_; }
  // What to show: the command path, or the live process's executable.
  const std::string& exe() const { return exe_; }
  bool launched() const { return child_.has_value(); }

  // Lets a launched command run (no-op for a live process).
  Status start();
  // True while the target runs.
  bool alive() const;

  enum class End { kExited, kInterrupted, kDuration };
  Result<End> wait(std::optional<std::chrono::milliseconds> duration);

  // A launched command's wait status, once it has exited.
  std::optional<int> wait_status() const { return wait_status_; }
  // Ends a launched command that still runs: SIGTERM, then SIGKILL after `grace`.
  void stop(std::chrono::milliseconds grace);

 private:
  Target() = default;
  Status open_fds();

  pid_t pid_ = -1;
  std::string binary_;
  std::string exe_;
  std::optional<HeldChild> child_;
  std::optional<int> wait_status_;
  int pidfd_ = -1;
  int sigfd_ = -1;
  bool mask_saved_ = false;
  sigset_t old_mask_{};
};

// argv0 as execvp would find it: a path with a slash as is, else the first match in PATH.
Result<std::string> find_command(const std::string& argv0);

}  // namespace gri::probe
