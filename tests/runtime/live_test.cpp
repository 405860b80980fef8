// -i SECONDS end to end: gri gc, sched, alloc and timers print one line per interval while
// the session runs, before the report, and the lines add up to the report: the gc lines'
// cycles to the cycles in it, the alloc lines' tiny and large counts to its totals, the
// timers lines' running total to its operations, the sched lines' runnable thread time to
// its runq_wait_s (to the printed digit). With --json - the lines go to stderr and stdout
// stays one JSON document.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "go_probes.h"

namespace {

using namespace gri::test;

constexpr double kInterval = 0.5;
constexpr double kDuration = 3;

// The toolchains the lines are checked on: the oldest and a recent runtime.
std::vector<ProbeBinary> toolchains() {
  std::vector<ProbeBinary> out;
  for (const ProbeBinary& b : probe_binaries({""})) {
    if (b.label == "go1.19" || b.label == "go1.26") out.push_back(b);
  }
  return out;
}

// gri CMD -i 0.5 -d 3
std::string fmt_args(const std::string& cmd) {
  return cmd + " -i " + std::to_string(kInterval) + " -d " + std::to_string(kDuration);
}

// The interval lines of an output: the rows after the first header line (starting with
// "  time s") and before the report, split into their columns.
std::vector<std::vector<std::string>> rows_of(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(text);
  bool in_rows = false;
  for (std::string l; std::getline(in, l);) {
    if (l.rfind("  time s", 0) == 0) {
      in_rows = true;
      continue;
    }
    if (l.rfind("gri EXP-", 0) == 0) break;  // the report
    // The command's own output may come between them.
    if (!in_rows || !std::regex_match(l, std::regex(R"(^ +[0-9]+\.[0-9] .*)"))) continue;
    std::istringstream cols(l);
    std::vector<std::string> row;
    for (std::string c; cols >> c;) row.push_back(c);
    rows.push_back(std::move(row));
  }
  return rows;
}

class LiveTest : public ::testing::TestWithParam<ProbeBinary> {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "skipped: needs root (run tools/test with sudo)";
    if (!std::filesystem::exists("/sys/kernel/btf/vmlinux")) {
      GTEST_SKIP() << "skipped: the kernel has no BTF (/sys/kernel/btf/vmlinux)";
    }
  }

  // Runs `ENV gri ARGS --json FILE -- WORKLOAD`; its stdout, and the report as JSON.
  void run(const std::string& args, const std::string& workload, const std::string& env = "") {
    const std::string out = dir_.path() + "/out", json = dir_.path() + "/report.json";
    run_command(env + " timeout 60 " + build_dir() + "/gri " + args + " --json " + json + " -- " +
                workload + " >" + out + " 2>" + dir_.path() + "/err");
    out_ = read_file(out);
    report_ = nlohmann::json::parse(read_file(json));
    rows_ = rows_of(out_);
    std::printf("[ lines    ] %s: %zu rows\n%s", GetParam().label.c_str(), rows_.size(),
                out_.substr(0, out_.find("gri EXP-")).c_str());
  }

  // One row per interval of the session, the last one partial: within one of that.
  void expect_rows_for(double elapsed_s) {
    double want = std::ceil(elapsed_s / kInterval - 1e-6);
    EXPECT_NEAR(static_cast<double>(rows_.size()), want, 1)
        << "session of " << elapsed_s << " s, -i " << kInterval << "\n" << out_;
    for (size_t i = 1; i < rows_.size(); i++) {
      EXPECT_GT(std::stod(rows_[i][0]), std::stod(rows_[i - 1][0]) - 1e-9) << out_;
    }
    // Before the report, not in it.
    EXPECT_LT(out_.find("  time s"), out_.find("gri EXP-")) << out_;
  }

  void expect_alloc_sums();

  TempDir dir_;
  std::string out_;
  nlohmann::json report_;
  std::vector<std::vector<std::string>> rows_;
};

TEST_P(LiveTest, GcLinesAddUpToTheReportsCycles) {
  run(fmt_args("gc"), GetParam().path("gc") + " -n 1000000 -round 4194304");
  expect_rows_for(report_["duration_s"].get<double>());
  ASSERT_FALSE(rows_.empty());
  EXPECT_EQ(report_["lost_events"], 0);
  uint64_t sum = 0;
  for (const auto& r : rows_) {
    ASSERT_EQ(r.size(), 6u) << out_;
    sum += std::stoull(r[1]);
  }
  // The report's count of completed cycles (gcMarkTermination calls), in its text.
  std::smatch m;
  ASSERT_TRUE(std::regex_search(out_, m, std::regex(R"(\n([0-9]+) completed cycles;)"))) << out_;
  uint64_t cycles = std::stoull(m[1]);
  EXPECT_GT(cycles, 5u);
  EXPECT_EQ(sum, cycles) << out_;
  EXPECT_EQ(std::stoull(rows_.back()[2]), cycles);
  // Their events: one fewer when the session ended within a mark termination.
  EXPECT_NEAR(static_cast<double>(report_["data"]["cycles"].size()), static_cast<double>(cycles),
              1);
}

TEST_P(LiveTest, SchedLinesAddUpToTheReportsRunnableTime) {
  run(fmt_args("sched"), GetParam().path("sched") + " -mode cpu -d 10", "GOMAXPROCS=2");
  expect_rows_for(report_["duration_s"].get<double>());
  ASSERT_FALSE(rows_.empty());
  double runnable_ms = 0;
  for (size_t i = 0; i < rows_.size(); i++) {
    const auto& r = rows_[i];
    ASSERT_EQ(r.size(), 7u) << out_;
    runnable_ms += std::stod(r[5]);
    if (i > 0 && i + 1 < rows_.size()) {
      // Whole intervals after the first (the runtime sets up in it): snapshots, all Ps seen.
      EXPECT_GT(std::stoull(r[6]), 0u) << out_;
      EXPECT_EQ(r[1], "2") << out_;
      // cpu mode keeps both Ps busy: hardly ever idle.
      EXPECT_LT(std::stod(r[2]), 1.0) << out_;
    }
  }
  double report_ms = report_["data"]["threads"]["runq_wait_s"].get<double>() * 1e3;
  // Each line rounds to 0.1 ms.
  EXPECT_NEAR(runnable_ms, report_ms, 0.05 * static_cast<double>(rows_.size()) + 1e-6) << out_;
}

// The alloc lines' tiny and large counts, summed, against the report's.
void LiveTest::expect_alloc_sums() {
  expect_rows_for(report_["duration_s"].get<double>());
  ASSERT_FALSE(rows_.empty());
  int64_t tiny = 0, large = 0;
  for (const auto& r : rows_) {
    ASSERT_EQ(r.size(), 5u) << out_;
    if (r[1] == "-") continue;  // not readable yet
    tiny += std::stoll(r[3]);
    large += std::stoll(r[4]);
  }
  const auto& d = report_["data"];
  EXPECT_EQ(tiny, d["tiny"]["packed_into_shared_blocks"].get<int64_t>()) << out_;
  EXPECT_EQ(large, d["large"]["objects"].get<int64_t>()) << out_;
  EXPECT_EQ(large, 20000);  // -large 20000: every one of them, the command ran from the start
}

// Stopped by -d while it allocates: the report's last read is taken as it still runs.
TEST_P(LiveTest, AllocLinesAddUpToTheReportsCounts) {
  run(fmt_args("alloc") + " --sites none",
      GetParam().path("alloc") + " -n 3000000 -large 20000 -mixed 20000000");
  expect_alloc_sums();
}

// Ended by its exit: the report's last read is taken with it held at runtime.exit.
TEST_P(LiveTest, AllocLinesAddUpWhenTheCommandExits) {
  run("alloc -i 0.5 --sites none",
      GetParam().path("alloc") + " -n 3000000 -large 20000 -mixed 1500000");
  EXPECT_TRUE(report_["data"]["read_at_exit"].get<bool>());
  expect_alloc_sums();
}

TEST_P(LiveTest, TimersLinesEndAtTheReportsOperations) {
  run(fmt_args("timers"), GetParam().path("timers") + " -n 100000");
  expect_rows_for(report_["duration_s"].get<double>());
  ASSERT_FALSE(rows_.empty());
  const auto& ops = report_["data"]["ops"];
  uint64_t total = ops["total"].get<uint64_t>() + ops["runtime"]["total"].get<uint64_t>() +
                   (ops.contains("unnamed") ? ops["unnamed"]["total"].get<uint64_t>() : 0);
  for (const auto& r : rows_) ASSERT_EQ(r.size(), 7u) << out_;
  EXPECT_EQ(std::stoull(rows_.back()[6]), total) << out_;
  EXPECT_GT(total, 1000u);
  // A whole interval in the middle: the workload's rounds run timers.
  EXPECT_GT(std::stod(rows_[rows_.size() / 2][4]), 0) << out_;
}

// --json -: stdout is the report alone; the lines go to stderr.
TEST_P(LiveTest, WithJsonOnStdoutTheLinesGoToStderr) {
  const std::string out = dir_.path() + "/out", err = dir_.path() + "/err";
  // gri's stderr through a pipe: the command's stdout goes to /dev/stderr then (cli/command.h),
  // and the command's open of /dev/stderr would truncate a file there, under gri's own lines.
  run_command("(timeout 60 " + build_dir() + "/gri gc -i 0.5 -d 1.6 --json - -- " +
              GetParam().path("gc") + " -n 1000000 -round 4194304 2>&1 >" + out + ") | cat >" +
              err);
  auto j = nlohmann::json::parse(read_file(out));  // throws unless one JSON document
  EXPECT_EQ(j["experiment"], "EXP-05");
  auto rows = rows_of(read_file(err));
  EXPECT_NEAR(static_cast<double>(rows.size()), 4, 1) << read_file(err);
}

INSTANTIATE_TEST_SUITE_P(Toolchains, LiveTest, ::testing::ValuesIn(toolchains()),
                         [](const auto& info) { return param_name(info.param.label); });

}  // namespace
