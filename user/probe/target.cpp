#include "probe/target.h"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <sstream>

namespace gri::probe {

Result<std::string> find_command(const std::string& argv0) {
  if (argv0.empty()) return make_usage_error("no command given after --");
  auto usable = [](const std::string& p) { return access(p.c_str(), X_OK) == 0; };
  if (argv0.find('/') != std::string::npos) {
    if (!usable(argv0)) return make_error("cannot run {}: {}", argv0, strerror(errno));
    return std::filesystem::absolute(argv0).string();
  }
  const char* path = getenv("PATH");
  std::stringstream ss(path ? path : "/usr/local/bin:/usr/bin:/bin");
  for (std::string dir; std::getline(ss, dir, ':');) {
    std::string candidate = (dir.empty() ? "." : dir) + "/" + argv0;
    if (usable(candidate)) return std::filesystem::absolute(candidate).string();
  }
  return make_error("{}: command not found in PATH", argv0);
}

Status Target::open_fds() {
  pidfd_ = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
  if (pidfd_ < 0) {
    if (errno == ESRCH) return make_error("no process with PID {}", pid_);
    return make_error("pidfd_open({}): {} (Linux 5.3+ needed)", pid_, strerror(errno));
  }
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  if (pthread_sigmask(SIG_BLOCK, &mask, &old_mask_) != 0) return make_error("cannot block signals");
  mask_saved_ = true;
  sigfd_ = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sigfd_ < 0) return make_error("signalfd: {}", strerror(errno));
  return {};
}

Result<std::unique_ptr<Target>> Target::launch(const ChildOptions& command) {
  if (command.argv.empty()) return make_usage_error("no command given after --");
  auto path = find_command(command.argv[0]);
  if (!path) return path.error();
  ChildOptions resolved = command;
  resolved.argv[0] = *path;
  auto child = HeldChild::spawn(resolved);
  if (!child) return child.error();
  std::unique_ptr<Target> t(new Target());
  t->pid_ = child->pid();
  t->binary_ = *path;
  t->exe_ = *path;
  t->child_.emplace(std::move(*child));
  if (auto st = t->open_fds(); !st) return st.error();
  return t;
}

Result<std::unique_ptr<Target>> Target::attach(pid_t pid) {
  if (pid <= 0) return make_usage_error("bad PID {}: a process ID is a positive number", pid);
  std::unique_ptr<Target> t(new Target());
  t->pid_ = pid;
  t->binary_ = "/proc/" + std::to_string(pid) + "/exe";
  std::error_code ec;
  t->exe_ = std::filesystem::read_symlink(t->binary_, ec).string();
  if (ec) {
    if (kill(pid, 0) != 0 && errno == ESRCH) return make_error("no process with PID {}", pid);
    return make_error("cannot read {}: {}", t->binary_, ec.message());
  }
  if (auto st = t->open_fds(); !st) return st.error();
  return t;
}

Target::~Target() {
  if (child_ && !wait_status_) stop(std::chrono::milliseconds(2000));
  if (pidfd_ >= 0) close(pidfd_);
  if (sigfd_ >= 0) close(sigfd_);
  if (mask_saved_) pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
}

Status Target::start() {
  if (!child_) return {};
  return child_->release();
}

bool Target::alive() const {
  if (wait_status_) return false;
  pollfd p{pidfd_, POLLIN, 0};
  return poll(&p, 1, 0) == 0;
}

Result<Target::End> Target::wait(std::optional<std::chrono::milliseconds> duration) {
  auto deadline = duration ? std::chrono::steady_clock::now() + *duration
                           : std::chrono::steady_clock::time_point::max();
  for (;;) {
    int timeout = -1;
    if (duration) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return End::kDuration;
      timeout = static_cast<int>(left.count());
    }
    pollfd fds[2] = {{pidfd_, POLLIN, 0}, {sigfd_, POLLIN, 0}};
    int n = poll(fds, 2, timeout);
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error("poll: {}", strerror(errno));
    }
    if (fds[1].revents & POLLIN) {
      signalfd_siginfo info;
      while (read(sigfd_, &info, sizeof(info)) == sizeof(info)) {
      }
      return End::kInterrupted;
    }
    if (fds[0].revents & POLLIN) {
      if (child_) {
        auto st = child_->wait(std::chrono::milliseconds(1000));
        if (!st) return st.error();
        wait_status_ = *st;
      }
      return End::kExited;
    }
  }
}

void Target::stop(std::chrono::milliseconds grace) {
  if (!child_ || wait_status_) return;
  kill(pid_, SIGTERM);
  auto st = child_->wait(grace);  // kills with SIGKILL after the grace period
  if (st) wait_status_ = *st;
}

}  // namespace gri::probe
