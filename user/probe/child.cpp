#include "probe/child.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include <fmt/format.h>

extern char** environ;

namespace gri::probe {

namespace {

// Environment for the child: environ with extra_env's names replaced or added. Built
// before fork, since only async-signal-safe calls may run between fork and execve.
std::vector<std::string> child_environment(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e; e++) {
    std::string_view entry(*e);
    bool replaced = false;
    for (const std::string& x : extra) {
      auto eq = x.find('=');
      if (entry.substr(0, eq + 1) == std::string_view(x).substr(0, eq + 1)) replaced = true;
    }
    if (!replaced) env.emplace_back(entry);
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

[[noreturn]] void child_fail(int err_fd) {
  int err = errno;
  ssize_t ignored = write(err_fd, &err, sizeof(err));
  (void)ignored;
  _exit(127);
}

}  // namespace

Result<HeldChild> HeldChild::spawn(const ChildOptions& options) {
  if (options.argv.empty()) return make_error("no command to run");
  std::vector<std::string> argv_s = options.argv;
  std::vector<std::string> env_s = child_environment(options.extra_env);
  std::vector<char*> argv = pointers(argv_s);
  std::vector<char*> envp = pointers(env_s);

  int gate[2], err[2];
  if (pipe2(gate, O_CLOEXEC) != 0) return make_error("pipe: {}", strerror(errno));
  if (pipe2(err, O_CLOEXEC) != 0) {
    close(gate[0]);
    close(gate[1]);
    return make_error("pipe: {}", strerror(errno));
  }
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    for (int fd : {gate[0], gate[1], err[0], err[1]}) close(fd);
    return make_error("fork: {}", strerror(e));
  }
  if (pid == 0) {
    close(gate[1]);
    close(err[0]);
    // Released by one byte. EOF without it means gri died before attaching: do not run the
    // command untraced. Once it runs, gri's death does not end it (no PDEATHSIG).
    char c;
    if (read(gate[0], &c, 1) != 1) _exit(126);
    close(gate[0]);
    for (auto [path, fd] : {std::pair{&options.stdout_path, 1}, std::pair{&options.stderr_path, 2}}) {
      if (path->empty()) continue;
      // gri's own stdout or stderr: the same open file, not a new one (opening /dev/stderr
      // anew with O_TRUNC would empty a file gri's stderr was redirected to).
      if (*path == "/dev/stderr" || *path == "/dev/stdout") {
        if (dup2(*path == "/dev/stderr" ? 2 : 1, fd) < 0) child_fail(err[1]);
        continue;
      }
      int out = ::open(path->c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (out < 0 || dup2(out, fd) < 0) child_fail(err[1]);
    }
    // gri blocks SIGINT/SIGTERM to read them from a signalfd; the command must not inherit that.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    // execvpe searches PATH with the child's environment set.
    execvpe(argv[0], argv.data(), envp.data());
    child_fail(err[1]);
  }
  close(gate[0]);
  close(err[1]);
  return HeldChild(pid, gate[1], err[0]);
}

HeldChild::HeldChild(HeldChild&& other) noexcept
    : pid_(other.pid_),
      gate_fd_(other.gate_fd_),
      exec_err_fd_(other.exec_err_fd_),
      reaped_(other.reaped_) {
  other.pid_ = -1;
  other.gate_fd_ = -1;
  other.exec_err_fd_ = -1;
  other.reaped_ = true;
}

HeldChild::~HeldChild() {
  if (gate_fd_ >= 0) close(gate_fd_);
  if (exec_err_fd_ >= 0) close(exec_err_fd_);
  if (pid_ > 0 && !reaped_) {
    kill(pid_, SIGKILL);
    int status;
    waitpid(pid_, &status, 0);
  }
}

Status HeldChild::release() {
  if (gate_fd_ < 0) return make_error("child {} was already released", pid_);
  char go = 1;
  ssize_t w = write(gate_fd_, &go, 1);
  close(gate_fd_);
  gate_fd_ = -1;
  int err = 0;
  ssize_t n = read(exec_err_fd_, &err, sizeof(err));
  close(exec_err_fd_);
  exec_err_fd_ = -1;
  if (n == static_cast<ssize_t>(sizeof(err))) return make_error("cannot start command: {}", strerror(err));
  if (w != 1) return make_error("cannot release command {}: it is gone", pid_);
  return {};
}

Result<int> HeldChild::wait(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      reaped_ = true;
      return status;
    }
    if (r < 0 && errno != EINTR) return make_error("waitpid {}: {}", pid_, strerror(errno));
    if (std::chrono::steady_clock::now() >= deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      reaped_ = true;
      return make_error("command {} did not exit within {} ms: killed", pid_, timeout.count());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) return fmt::format("exited with status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return fmt::format("killed by signal {} ({})", WTERMSIG(status), strsignal(WTERMSIG(status)));
  }
  return fmt::format("wait status {:#x}", status);
}

Result<int> run_to_end(const ChildOptions& options, std::chrono::milliseconds timeout) {
  auto child = HeldChild::spawn(options);
  if (!child) return child.error();
  if (Status st = child->release(); !st) return st.error();
  return child->wait(timeout);
}

}  // namespace gri::probe
