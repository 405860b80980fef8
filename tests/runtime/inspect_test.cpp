// gri inspect -p on a process whose binary lives in another mount namespace, as in a
// container: only /proc/PID/exe reaches the file.
#include "inspect/inspect.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "go_probes.h"
#include "probe/child.h"

namespace {

using namespace gri::test;
using namespace std::chrono_literals;

TEST(InspectProcess, BinaryInAnotherMountNamespace) {
  if (geteuid() != 0) GTEST_SKIP() << "skipped: needs root (unshare --mount)";
  TempDir dir;
  std::string exe = probe_path("go1.27", "gc-pie");
  std::string app = dir.path() + "/app";
  // The tmpfs is mounted in the child's namespace only: from here, dir stays empty.
  std::string script = "mount -t tmpfs tmpfs " + dir.path() + " && cp " + exe + " " + app +
                       " && exec " + app + " -n 100000000 -round 1";
  auto child = gri::probe::HeldChild::spawn(
      {{"unshare", "--mount", "--propagation", "private", "sh", "-c", script}, {}, "/dev/null", ""});
  ASSERT_TRUE(child) << child.error().message;
  ASSERT_TRUE(child->release());
  std::string proc_exe = "/proc/" + std::to_string(child->pid()) + "/exe";
  for (int i = 0; i < 200; i++) {
    std::error_code ec;
    if (std::filesystem::read_symlink(proc_exe, ec).string() == app) break;
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_FALSE(std::filesystem::exists(app)) << "the binary must not be visible from here";

  auto in = gri::inspect::inspect_process(child->pid());
  ASSERT_TRUE(in) << in.error().message;
  EXPECT_EQ(in->exe, app);
  EXPECT_EQ(in->build.go_version.substr(0, 7), "go1.27.");
  EXPECT_TRUE(in->pie);
  ASSERT_TRUE(in->load_bias);
  EXPECT_GT(*in->load_bias, 0u);
}

}  // namespace
