// --pprof end to end, on every toolchain (plain and stripped): `gri alloc` and `gri sched`
// write a gzip-compressed profile.proto, and `go tool pprof` (the machine's go) reads it,
// names the workload's own functions from gri's pclntab symbolization (inlined ones
// included, stripped binaries too), and prints totals equal to the JSON report's.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <regex>
#include <string>

#include <nlohmann/json.hpp>

#include "go_probes.h"

namespace {

using namespace gri::test;
using Json = nlohmann::json;

// `gri ARGS --json R --pprof P -- CMD`: the report, and the profile's path and size.
struct GriRun {
  Json report;
  std::string profile;
  size_t profile_bytes = 0;
};

GriRun run_gri(const TempDir& dir, const std::string& args, const std::string& cmd) {
  GriRun run;
  std::string report = dir.path() + "/report.json";
  run.profile = dir.path() + "/profile.pb.gz";
  run_command("timeout 120 " + build_dir() + "/gri " + args + " --json " + report +
              " --pprof " + run.profile + " -- " + cmd + " >" + dir.path() + "/gri.out 2>" +
              dir.path() + "/gri.err");
  run.report = Json::parse(read_file(report), nullptr, false);
  std::error_code ec;
  run.profile_bytes = std::filesystem::file_size(run.profile, ec);
  return run;
}

// `go tool pprof -top` of one sample index: every node (no node or fraction cut), values in
// the smallest unit so that they are printed whole.
std::string pprof_top(const std::string& profile, const std::string& index,
                      const std::string& unit = "") {
  return run_command(go_command() + " tool pprof -top -nodecount=100000 -nodefraction=0 " +
                     "-sample_index=" + index + (unit.empty() ? "" : " -unit=" + unit) + " " +
                     profile + " 2>&1");
}

// The total in "Showing nodes accounting for X, P% of TOTAL total", with its unit suffix
// ("B", "ns") taken off; -1 when there is none.
int64_t pprof_total(const std::string& top, const std::string& unit = "") {
  std::smatch m;
  if (!std::regex_search(top, m, std::regex(R"(of (-?[0-9]+)([A-Za-z]*) total)"))) return -1;
  if (m[2].str() != unit && !(m[1].str() == "0" && m[2].str().empty())) return -1;
  return std::stoll(m[1].str());
}

class PprofTest : public ::testing::TestWithParam<ProbeBinary> {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "skipped: needs root (run tools/test with sudo)";
  }
};

TEST_P(PprofTest, AllocSitesAsPprofReadsThem) {
  TempDir dir;
  // -inlined: allocations through main.newInlined, which main.main inlines (no symbol of
  // its own): pprof must name it from the inline frames gri wrote.
  GriRun run = run_gri(dir, "alloc --sites exact --sample-hz 997",
                       GetParam().path("alloc") + " -n 200000 -large 0 -inlined 200000");
  ASSERT_TRUE(run.report.is_object()) << read_file(dir.path() + "/gri.err");
  ASSERT_GT(run.profile_bytes, 0u) << read_file(dir.path() + "/gri.err");
  uint64_t samples = 0, refills = 0, bytes = 0;
  for (const auto& s : run.report["data"]["sites"]) {
    samples += s["samples"].get<uint64_t>();
    refills += s["refills"].get<uint64_t>();
    bytes += s["bytes"].get<uint64_t>();
  }
  EXPECT_EQ(samples, run.report["data"]["site_samples"]["in_allocator"].get<uint64_t>());
  ASSERT_GT(refills, 0u) << run.report["data"].dump();

  std::string top_refills = pprof_top(run.profile, "refills");
  std::string top_bytes = pprof_top(run.profile, "alloc_space", "B");
  std::string top_samples = pprof_top(run.profile, "samples");
  EXPECT_EQ(pprof_total(top_refills), static_cast<int64_t>(refills)) << top_refills;
  EXPECT_EQ(pprof_total(top_bytes, "B"), static_cast<int64_t>(bytes)) << top_bytes;
  EXPECT_EQ(pprof_total(top_samples), static_cast<int64_t>(samples)) << top_samples;
  for (const char* f : {"main.allocTiny8", "main.allocScan24", "main.newInlined", "main.main",
                        "runtime.mallocgc"}) {
    EXPECT_NE(top_refills.find(f), std::string::npos) << f << " not in\n" << top_refills;
  }
  std::cout << "[ pprof    ] " << GetParam().label << GetParam().variant << " alloc: "
            << run.profile_bytes << " B; samples " << samples << ", refills " << refills
            << ", alloc_space " << bytes << " B: equal in pprof\n";
}

TEST_P(PprofTest, SchedBlockedTimeAsPprofReadsIt) {
  TempDir dir;
  GriRun run = run_gri(dir, "sched", GetParam().path("sched") + " -mode lock -d 1");
  ASSERT_TRUE(run.report.is_object()) << read_file(dir.path() + "/gri.err");
  ASSERT_GT(run.profile_bytes, 0u) << read_file(dir.path() + "/gri.err");
  // The table gives seconds as doubles: each row's nanoseconds are recovered exactly
  // (far below 2^53 ns), and summed as integers.
  int64_t ns = 0, count = 0;
  for (const auto& b : run.report["data"]["threads"]["blocked"]) {
    ns += std::llround(b["s"].get<double>() * 1e9);
    count += b["count"].get<int64_t>();
  }
  ASSERT_GT(count, 0) << run.report["data"]["threads"].dump();
  std::string top_delay = pprof_top(run.profile, "delay", "ns");
  std::string top_count = pprof_top(run.profile, "blockings");
  EXPECT_EQ(pprof_total(top_delay, "ns"), ns) << top_delay;
  EXPECT_EQ(pprof_total(top_count), count) << top_count;
  // The functions the table names are the profile's too. The table says runtime.netpoll
  // for go1.19's runtime.epollwait, a leaf without a frame whose caller the kernel's walk
  // skips (exp/sched/blocking.cpp).
  bool through_mutex = false;
  for (const auto& b : run.report["data"]["threads"]["blocked"]) {
    std::string f = b["function"].get<std::string>();
    through_mutex = through_mutex || b["kind"] == "sync.Mutex";
    if (f.empty()) continue;
    if (f == "runtime.netpoll" && top_count.find("runtime.epollwait") != std::string::npos)
      continue;
    EXPECT_NE(top_count.find(f), std::string::npos) << f << " not in\n" << top_count;
  }
  // A thread's stack reaches the workload's goroutines where the kernel's walk crosses from
  // g0 into the goroutine that parked (go1.19's mcall, classified "sync.Mutex"): then the
  // workers, main.main.func*, are in the profile, named from the pclntab.
  bool main_seen = top_count.find(" main.main") != std::string::npos;
  if (through_mutex) {
    EXPECT_TRUE(main_seen) << top_count;
  }
  std::cout << "[ pprof    ] " << GetParam().label << GetParam().variant << " sched: "
            << run.profile_bytes << " B; blocked " << ns << " ns in " << count
            << " blockings: equal in pprof; main.* " << (main_seen ? "seen" : "not on the stacks")
            << (through_mutex ? " (stacks through sync.Mutex)" : "") << "\n";
}

INSTANTIATE_TEST_SUITE_P(Toolchains, PprofTest,
                         ::testing::ValuesIn(probe_binaries({"", "-stripped"})),
                         [](const auto& info) {
                           return param_name(info.param.label + info.param.variant);
                         });

}  // namespace
