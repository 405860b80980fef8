// snapshot::Snapshotter across users, as `sudo gri sched -p PID` uses it: root reads a Go
// process of another user, and an unprivileged reader of root's process gets the permission
// error that says what is needed. Both need root (to run something as another user).
#include "snapshot/snapshot.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include <fmt/format.h>

#include "go_probes.h"
#include "probe/child.h"

namespace {

using gri::snapshot::ProcessMemory;
using gri::snapshot::Snapshotter;
using namespace gri::test;
using namespace std::chrono_literals;

constexpr uid_t kNobody = 65534;

TEST(SnapshotAsRoot, ReadsAnotherUsersProcess) {
  if (geteuid() != 0) GTEST_SKIP() << "skipped: needs root (runs the workload as nobody)";
  std::string exe = probe_path("go1.26", "gc", "-pie");
  auto child = gri::probe::HeldChild::spawn(
      {{"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", exe, "-n", "100000000",
        "-round", "1"},
       {"GOMAXPROCS=3"},
       "/dev/null",
       ""});
  ASSERT_TRUE(child) << child.error().message;
  ASSERT_TRUE(child->release());
  std::string proc_exe = fmt::format("/proc/{}/exe", child->pid());
  for (int i = 0; i < 500; i++) {
    std::error_code ec;
    if (std::filesystem::read_symlink(proc_exe, ec).string() == exe) break;
    std::this_thread::sleep_for(10ms);
  }
  auto s = Snapshotter::open(child->pid());
  ASSERT_TRUE(s) << s.error().message;
  gri::Result<gri::snapshot::RuntimeSnapshot> snap = s->take();
  for (int i = 0; i < 500 && snap && snap->allp_len != 3; i++) {
    std::this_thread::sleep_for(10ms);
    snap = s->take();
  }
  ASSERT_TRUE(snap) << snap.error().message;
  EXPECT_EQ(snap->gomaxprocs, 3);
  ASSERT_EQ(snap->ps.size(), 3u);
  for (int i = 0; i < 3; i++) EXPECT_EQ(snap->ps[i].id, i);
}

// Forks a child that becomes nobody and reports what reading this (root) process gave.
std::string as_nobody(const std::function<std::string()>& what) {
  int fds[2];
  if (pipe(fds) != 0) return "pipe failed";
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    std::string out = (setgid(kNobody) == 0 && setuid(kNobody) == 0) ? what() : "setuid failed";
    (void)!write(fds[1], out.data(), out.size());
    _exit(0);
  }
  close(fds[1]);
  std::string out;
  char buf[512];
  for (ssize_t n; (n = read(fds[0], buf, sizeof(buf))) > 0;) out.append(buf, size_t(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return out;
}

TEST(SnapshotAsRoot, UnprivilegedReaderIsToldWhatIsNeeded) {
  if (geteuid() != 0) GTEST_SKIP() << "skipped: needs root (drops to nobody to be refused)";
  pid_t self = getpid();
  uint64_t value = 7;
  std::string read_error = as_nobody([&] {
    uint8_t out[8];
    gri::Status st = ProcessMemory(self).read(reinterpret_cast<uint64_t>(&value), out);
    return st ? std::string("read succeeded") : st.error().message;
  });
  EXPECT_EQ(read_error,
            fmt::format("not permitted to read the memory of PID {} (EPERM): run as root or with "
                        "CAP_SYS_PTRACE, or as its user where kernel.yama.ptrace_scope allows "
                        "ptrace",
                        self));
  std::string open_error = as_nobody([&] {
    auto s = Snapshotter::open(self);
    return s ? std::string("open succeeded") : s.error().message;
  });
  EXPECT_EQ(open_error,
            fmt::format("cannot read /proc/{}/exe: Permission denied: run as root or with "
                        "CAP_SYS_PTRACE, or as the process's user",
                        self));
}

}  // namespace
