// The walking skeleton, end to end on every toolchain: BPF build, load, attach by symbol
// after the stack-check prologue, and counting, checked against the runtime's own account.
//
// go-probes/gc calls runtime.GC() exactly kForced times, allocating in between (heap
// cycles happen too), and prints the runtime's MemStats; GODEBUG=gctrace=1 prints one
// "gc N @..." line per completed cycle.
#include <gtest/gtest.h>

#include <map>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <regex>
#include <sstream>

#include <fmt/format.h>

#include "exp/gc/container.h"
#include "exp/gc/counted_run.h"
#include "exp/gc/experiment.h"
#include "report/render.h"
#include "go_probes.h"
#include "probe/libbpf_log.h"

namespace {

using namespace gri::test;
using namespace std::chrono_literals;

constexpr uint64_t kForced = 20;

// The oracle reads gctrace on its own, independent of the parser under test:
// "gc N @... A->B->C MB, G MB goal, ..." (Go 1.19-1.27 src/runtime/mgc.go).
struct TraceLine {
  uint64_t n, a_mb, b_mb, c_mb, goal_mb;
};

std::vector<TraceLine> gctrace(const std::string& text) {
  std::regex line(R"(^gc ([0-9]+) @.* ([0-9]+)->([0-9]+)->([0-9]+) MB, ([0-9]+) MB goal,.*)");
  std::istringstream in(text);
  std::vector<TraceLine> out;
  std::smatch m;
  for (std::string l; std::getline(in, l);) {
    if (std::regex_match(l, m, line)) {
      out.push_back({std::stoull(m[1]), std::stoull(m[2]), std::stoull(m[3]), std::stoull(m[4]),
                     std::stoull(m[5])});
    }
  }
  return out;
}

class GcWalkingSkeleton : public ::testing::TestWithParam<ProbeBinary> {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "skipped: needs root (run tools/test with sudo)";
    if (!std::filesystem::exists("/sys/kernel/btf/vmlinux")) {
      GTEST_SKIP() << "skipped: the kernel has no BTF (/sys/kernel/btf/vmlinux)";
    }
    gri::probe::set_libbpf_verbose(false);
  }
};

TEST_P(GcWalkingSkeleton, CountsEveryCycleGctraceReports) {
  std::string exe = GetParam().path("gc");
  ASSERT_TRUE(std::filesystem::exists(exe)) << exe << " missing: run tools/build";
  TempDir dir;

  // The same binary, untraced, running at the same time: its cycles must not be counted.
  auto bystander = gri::probe::HeldChild::spawn({{exe, "-n", "200"}, {}, "/dev/null", "/dev/null"});
  ASSERT_TRUE(bystander) << bystander.error().message;
  ASSERT_TRUE(bystander->release());

  gri::probe::ChildOptions cmd{{exe, "-n", std::to_string(kForced)},
                               {"GODEBUG=gctrace=1"},
                               dir.path() + "/stdout",
                               dir.path() + "/stderr"};
  auto run = gri::exp::gc::run_counted(cmd, 120s);
  ASSERT_TRUE(run) << run.error().message;
  ASSERT_TRUE(WIFEXITED(run->wait_status) && WEXITSTATUS(run->wait_status) == 0)
      << gri::probe::describe_wait_status(run->wait_status);

  std::string out = read_file(dir.path() + "/stdout");
  uint64_t forced = 0, numgc = 0, numforced = 0;
  ASSERT_EQ(std::sscanf(out.c_str(), "gc-probe: forced=%lu numgc=%lu numforcedgc=%lu", &forced,
                        &numgc, &numforced),
            3)
      << out;
  std::vector<TraceLine> trace = gctrace(read_file(dir.path() + "/stderr"));
  uint64_t lines = trace.size();

  const auto& c = run->counts;
  RecordProperty("gc_start", std::to_string(c.gc_start));
  RecordProperty("cycles", std::to_string(c.cycles));
  EXPECT_EQ(numforced, kForced) << "the workload itself must force exactly N cycles";
  EXPECT_EQ(numgc, lines) << "gctrace and MemStats.NumGC disagree";
  EXPECT_GT(lines, kForced) << "allocation should trigger heap cycles between forced ones";

  EXPECT_GE(c.gc_start, kForced);
  EXPECT_EQ(c.gc_start_forced, kForced) << "gcStart with gcTriggerCycle, once per runtime.GC()";
  EXPECT_EQ(c.cycles, lines) << "completed cycles seen by gri vs gctrace lines";
  // Cycle by cycle, the figures gctrace prints (it shifts bytes right by 20) from the same
  // fields, read by gri at gcMarkTermination's RET (stripped too: the globals found from
  // code, goelf/globals.h).
  {
    EXPECT_EQ(c.lost_cycle_events, 0u);
    ASSERT_EQ(c.cycle_events.size(), trace.size()) << c.cycle_events_unavailable;
    for (size_t i = 0; i < trace.size(); i++) {
      const auto& e = c.cycle_events[i];
      SCOPED_TRACE(fmt::format("gctrace cycle {}", trace[i].n));
      EXPECT_EQ(e.numgc, trace[i].n);
      EXPECT_EQ(e.heap0 >> 20, trace[i].a_mb);
      EXPECT_EQ(e.heap1 >> 20, trace[i].b_mb);
      EXPECT_EQ(e.heap2 >> 20, trace[i].c_mb);
      EXPECT_EQ(e.heap_goal >> 20, trace[i].goal_mb);
      EXPECT_EQ(e.gc_percent, 100) << "GOGC default";
      EXPECT_EQ(e.memory_limit, INT64_MAX) << "no GOMEMLIMIT";
    }
  }
  std::printf("[ counts   ] %s%s: gcStart %lu (forced %lu), cycles %lu, gctrace %lu\n",
              GetParam().label.c_str(), GetParam().variant.c_str(), c.gc_start,
              c.gc_start_forced, c.cycles, lines);
}

// gri gc --crosscheck on the same workload: every cycle agrees with gctrace (heap figures to
// the MiB, phase clock times to the printed digit), stripped binaries too.
TEST_P(GcWalkingSkeleton, GcExperimentCrosscheckAgreesWithGctrace) {
  gri::exp::gc::GcOptions o;
  o.command = {GetParam().path("gc"), "-n", std::to_string(kForced)};
  o.command_stdout = "/dev/null";
  o.crosscheck = true;
  auto r = gri::exp::gc::run_gc(o, [](const std::string&) {});
  ASSERT_TRUE(r) << r.error().message;
  auto j = gri::report::render_json(*r);
  ASSERT_EQ(j["verdicts"].size(), 1u);
  const auto& v = j["verdicts"][0];
  uint64_t lines = j["data"]["crosscheck"]["gctrace_cycles"].get<uint64_t>();
  EXPECT_GT(lines, kForced);
  {
    EXPECT_EQ(v["result"], "verified") << v["evidence"];
    EXPECT_EQ(j["data"]["cycles"].size(), lines);
    EXPECT_EQ(j["data"]["crosscheck"]["agreeing_cycles"], lines);
    uint64_t forced = 0;
    for (const auto& c : j["data"]["cycles"]) forced += c["trigger"] == "forced";
    // Go 1.19 prints "(forced)" racily (see go-probes/gc); the flag gri reads while the world
    // is still stopped is exact on every version.
    EXPECT_EQ(forced, kForced);
    // Every pause by reason: one sweep termination per cycle begun (one more when a cycle was
    // under way at exit), one mark termination per cycle gctrace printed, and the workload's
    // one runtime.ReadMemStats. Go 1.19 has no stwReason: gri reads m.preemptoff instead.
    std::map<std::string, uint64_t> pauses;
    for (const auto& p : j["data"]["stw"]) pauses[p["reason"]] = p["count"].get<uint64_t>();
    EXPECT_EQ(pauses["GC mark termination"], lines) << j["data"]["stw"].dump();
    EXPECT_GE(pauses["GC sweep termination"], lines) << j["data"]["stw"].dump();
    EXPECT_LE(pauses["GC sweep termination"], lines + 1) << j["data"]["stw"].dump();
    EXPECT_EQ(pauses["read mem stats"], 1u) << j["data"]["stw"].dump();
  }
}

// The container run: go-probes/memlimit (60 MiB live, 400 MiB of garbage) in a 100 MiB
// memory cgroup is OOM-killed with GOGC=100 alone and finishes with GOMEMLIMIT at 75 MiB,
// whose heap goal stays under the limit in at least 9 cycles of 10.
class GcContainer : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "skipped: needs root (memory cgroup, probes)";
  }
};

TEST_P(GcContainer, MemoryLimitPreventsTheOomThatGogcAloneDoesNot) {
  auto r = gri::exp::gc::run_container(probe_path(GetParam(), "memlimit"));
  if (!r && r.error().message.find("no memory cgroup controller") != std::string::npos) {
    GTEST_SKIP() << "skipped: " << r.error().message;
  }
  ASSERT_TRUE(r) << r.error().message;
  // GOMEMLIMIT is soft, and the heap overshoots it most on a loaded machine: a cold tools/test
  // saw the limited run OOM-killed once (go1.22) and once more than 1 cycle in 10 with a goal
  // above the limit. Such a run is run again once, said loudly; the second must pass.
  if (r->with_limit.oom_killed || r->cycles_over_limit * 10 > r->with_limit.cycles) {
    std::printf("[ RERUN    ] %s: the first run under GOMEMLIMIT was over its bounds: %s\n",
                GetParam().c_str(), r->verdict.evidence.c_str());
    r = gri::exp::gc::run_container(probe_path(GetParam(), "memlimit"));
    ASSERT_TRUE(r) << r.error().message;
  }
  EXPECT_TRUE(r->gogc_only.oom_killed) << r->verdict.evidence;
  EXPECT_FALSE(r->gogc_only.exited_ok);
  EXPECT_FALSE(r->with_limit.oom_killed) << r->verdict.evidence;
  EXPECT_TRUE(r->with_limit.exited_ok) << r->verdict.evidence;
  // The limit sets the goal but in the odd cycle that started late (container.cpp).
  EXPECT_LE(r->cycles_over_limit * 10, r->with_limit.cycles) << r->verdict.evidence;
  EXPECT_GT(r->with_limit.cycles, 0u);
  EXPECT_EQ(r->verdict.result, "verified") << r->verdict.evidence;
  std::printf("[ memlimit ] %s: %s\n", GetParam().c_str(), r->verdict.evidence.c_str());
}

INSTANTIATE_TEST_SUITE_P(Toolchains, GcContainer, ::testing::ValuesIn(go_labels()),
                         [](const auto& info) { return param_name(info.param); });

// Stripped binaries too: their functions come from .gopclntab alone.
INSTANTIATE_TEST_SUITE_P(Toolchains, GcWalkingSkeleton,
                         ::testing::ValuesIn(probe_binaries({"", "-stripped", "-pie", "-cgo"})),
                         [](const auto& info) {
                           return param_name(info.param.label + info.param.variant);
                         });

}  // namespace
