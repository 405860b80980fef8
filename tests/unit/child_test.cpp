// probe::HeldChild: a command held before execve, released, waited for.
#include "probe/child.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <filesystem>
#include <thread>

#include "go_probes.h"

namespace {

using gri::probe::ChildOptions;
using gri::probe::HeldChild;
using namespace std::chrono_literals;

TEST(HeldChild, DoesNotRunBeforeReleaseAndPassesEnvironment) {
  gri::test::TempDir dir;
  std::string marker = dir.path() + "/ran";
  ChildOptions o{{"/bin/sh", "-c", "touch " + marker + "; echo \"$GRI_TEST_VAR\""},
                 {"GRI_TEST_VAR=hello"},
                 dir.path() + "/out",
                 ""};
  auto child = HeldChild::spawn(o);
  ASSERT_TRUE(child) << child.error().message;
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(std::filesystem::exists(marker)) << "the command ran before release";
  ASSERT_TRUE(child->release());
  auto status = child->wait(10s);
  ASSERT_TRUE(status) << status.error().message;
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
  EXPECT_EQ(gri::test::read_file(dir.path() + "/out"), "hello\n");
}

TEST(HeldChild, MissingCommandFailsAtRelease) {
  auto child = HeldChild::spawn({{"/nonexistent/cmd"}, {}, "", ""});
  ASSERT_TRUE(child);
  auto st = child->release();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message, "cannot start command: No such file or directory");
}

TEST(HeldChild, TimeoutKills) {
  auto child = HeldChild::spawn({{"sleep", "30"}, {}, "", ""});
  ASSERT_TRUE(child);
  ASSERT_TRUE(child->release());
  auto start = std::chrono::steady_clock::now();
  auto status = child->wait(100ms);
  EXPECT_FALSE(status);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST(HeldChild, DescribesWaitStatus) {
  EXPECT_EQ(gri::probe::describe_wait_status(3 << 8), "exited with status 3");
  EXPECT_EQ(gri::probe::describe_wait_status(9), "killed by signal 9 (Killed)");
}

}  // namespace
