// The traced command's output is the user's data: every byte it wrote reaches the user, whole
// and in order, before gri's report, even when it writes a long line just before it exits.
// Both ways gri handles a command's stderr: inherited (gri gc -- CMD) and captured to a file
// that gri parses and then passes through (gri gc --crosscheck -- CMD, the gctrace lines).
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "go_probes.h"

namespace {

using namespace gri::test;

constexpr size_t kLine = 200000;  // bytes: many pipe buffers, several write chunks

// What go-probes/gc -last-line writes (LastLine in go-probes/gc/main.go).
std::string expected_line() {
  std::string line = "gc-probe-last:";
  while (line.size() < kLine - 1) line += static_cast<char>('0' + line.size() % 10);
  return line + "\n";
}

class OutputTest : public ::testing::TestWithParam<ProbeBinary> {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "skipped: needs root (run tools/test with sudo)";
  }

  // gri's stdout and stderr in one file, as a terminal would show them.
  void check_runs(const std::string& flags, int runs) {
    TempDir dir;
    const std::string want = expected_line();
    const std::string out = dir.path() + "/out";
    const std::string cmd = build_dir() + "/gri gc " + flags + " -- " + GetParam().path("gc") +
                            " -n 1 -last-line " + std::to_string(kLine) + " >" + out + " 2>&1";
    for (int i = 0; i < runs; i++) {
      run_command(cmd);
      std::string text = read_file(out);
      size_t at = text.find(want);
      ASSERT_NE(at, std::string::npos)
          << "run " << i + 1 << " of " << runs << " (" << flags << "): the " << kLine
          << "-byte line is not whole in gri's output of " << text.size() << " bytes";
      EXPECT_EQ(text.find("gc-probe-last:", at + 1), std::string::npos) << "written twice";
      size_t report = text.find("gri EXP-05:");
      ASSERT_NE(report, std::string::npos) << text.substr(0, 2000);
      EXPECT_LT(at + want.size(), report + 1)
          << "run " << i + 1 << ": the report began before the command's last line was out";
      EXPECT_LT(text.find("gc-probe: forced=1"), at) << "the command's stdout, then its stderr";
    }
  }
};

TEST_P(OutputTest, InheritedStderrReachesTheUserWhole) { check_runs("", 6); }

TEST_P(OutputTest, CapturedStderrIsPassedThroughWhole) { check_runs("--crosscheck", 6); }

INSTANTIATE_TEST_SUITE_P(Toolchains, OutputTest, ::testing::ValuesIn(probe_binaries({""})),
                         [](const auto& info) { return param_name(info.param.label); });

}  // namespace
