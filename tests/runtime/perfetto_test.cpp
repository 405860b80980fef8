// --perfetto end to end, on every toolchain: `gri gc`, `gri sched`, `gri preempt` and
// `gri steal` on their go-probes write Chrome trace-event JSON that ui.perfetto.dev and
// chrome://tracing open, on the target's CLOCK_MONOTONIC, and the timeline says what the JSON
// report says (one GC slice per cycle of data.cycles, of the same length as its three phases;
// one track per P of data.ps; a flow per SIGURG that led to an async preemption; one per
// steal, from victim to thief).
#include <gtest/gtest.h>

#include <time.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "go_probes.h"

namespace {

using namespace gri::test;
using Json = nlohmann::json;

int64_t mono_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// A command line: gri's own output to files in `dir`, a time limit so a hang fails the test.
// `env` (VAR=VALUE ...) is gri's environment, which the command it starts inherits.
std::string fmt_command(const std::string& env, const std::string& args, const std::string& report,
                        const std::string& trace, const std::string& cmd, const TempDir& dir) {
  return "timeout 120 env " + env + " " + build_dir() + "/gri " + args + " --json " + report +
         " --perfetto " + trace + " -- " + cmd + " >" + dir.path() + "/gri.out 2>" + dir.path() +
         "/gri.err";
}

struct GriRun {
  Json report;
  Json trace;
  size_t trace_bytes = 0;
  double start_us = 0, end_us = 0;  // CLOCK_MONOTONIC around the run
};

// `gri ARGS --json R --perfetto T -- CMD`, both files parsed.
GriRun run_gri(const TempDir& dir, const std::string& args, const std::string& cmd,
               const std::string& env = "") {
  GriRun run;
  std::string report = dir.path() + "/report.json", trace = dir.path() + "/trace.json";
  run.start_us = static_cast<double>(mono_ns()) / 1e3;
  run_command(fmt_command(env, args, report, trace, cmd, dir));
  run.end_us = static_cast<double>(mono_ns()) / 1e3;
  std::string text = read_file(trace);
  run.trace_bytes = text.size();
  run.report = Json::parse(read_file(report), nullptr, false);
  run.trace = Json::parse(text, nullptr, false);
  return run;
}

// The checks every trace must pass, whatever the experiment: the trace-event format, time
// order per track, flows with both ends, every event inside the run on CLOCK_MONOTONIC.
void check_trace_event_format(const GriRun& run) {
  const Json& doc = run.trace;
  ASSERT_FALSE(doc.is_discarded()) << "--perfetto wrote invalid JSON";
  ASSERT_TRUE(doc.is_object());
  ASSERT_TRUE(doc.contains("traceEvents") && doc["traceEvents"].is_array());
  EXPECT_EQ(doc["displayTimeUnit"], "ns");
  const std::set<std::string> phases = {"X", "i", "C", "s", "f", "M"};
  std::map<std::pair<int64_t, int64_t>, double> last;
  std::set<std::pair<int64_t, int64_t>> named_threads;
  std::set<int64_t> named_processes;
  std::map<uint64_t, int> starts, ends;
  for (const Json& e : doc["traceEvents"]) {
    ASSERT_TRUE(e.contains("ph") && e["ph"].is_string()) << e.dump();
    std::string ph = e["ph"];
    ASSERT_TRUE(phases.count(ph)) << e.dump();
    ASSERT_TRUE(e["pid"].is_number_integer() && e["tid"].is_number_integer()) << e.dump();
    ASSERT_TRUE(e["name"].is_string()) << e.dump();
    std::pair<int64_t, int64_t> track{e["pid"], e["tid"]};
    if (ph == "M") {
      if (e["name"] == "process_name") named_processes.insert(track.first);
      if (e["name"] == "thread_name") named_threads.insert(track);
      continue;
    }
    ASSERT_TRUE(e["ts"].is_number()) << e.dump();
    double ts = e["ts"];
    // CLOCK_MONOTONIC in microseconds, and inside the run (the runtime's own nanotime for
    // the GC's times: the same clock).
    EXPECT_GE(ts, run.start_us) << e.dump();
    EXPECT_LE(ts, run.end_us) << e.dump();
    if (last.count(track)) {
      EXPECT_LE(last[track], ts) << "out of time order on its track: " << e.dump();
    }
    last[track] = ts;
    if (ph == "X") {
      ASSERT_TRUE(e["dur"].is_number()) << e.dump();
      EXPECT_GE(e["dur"].get<double>(), 0) << e.dump();
      EXPECT_LE(ts + e["dur"].get<double>(), run.end_us) << e.dump();
    }
    if (ph == "C") {
      EXPECT_TRUE(named_processes.count(track.first)) << e.dump();
      EXPECT_TRUE(e["args"]["value"].is_number()) << e.dump();
    } else {
      EXPECT_TRUE(named_threads.count(track)) << "on a track with no name: " << e.dump();
    }
    if (ph == "s") ++starts[e["id"].get<uint64_t>()];
    if (ph == "f") {
      ++ends[e["id"].get<uint64_t>()];
      EXPECT_EQ(e["bp"], "e") << e.dump();
    }
  }
  EXPECT_EQ(starts, ends) << "a flow without both ends";
  // Viewers bind a flow event to the slice enclosing it on its track (start <= ts < end).
  std::map<std::pair<int64_t, int64_t>, std::vector<std::pair<double, double>>> slices;
  for (const Json& e : doc["traceEvents"]) {
    if (e["ph"] == "X") {
      double ts = e["ts"];
      slices[{e["pid"], e["tid"]}].emplace_back(ts, ts + e["dur"].get<double>());
    }
  }
  for (const Json& e : doc["traceEvents"]) {
    if (e["ph"] != "s" && e["ph"] != "f") continue;
    double ts = e["ts"];
    bool inside = false;
    for (auto [start, end] : slices[{e["pid"], e["tid"]}]) {
      inside = inside || (start <= ts && ts < end);
    }
    EXPECT_TRUE(inside) << "a flow end outside every slice of its track: " << e.dump();
  }
  for (auto [id, n] : starts) EXPECT_EQ(n, 1) << "flow id " << id << " used " << n << " times";
}

std::vector<Json> events(const Json& doc, const std::string& ph, const std::string& cat) {
  std::vector<Json> out;
  for (const Json& e : doc["traceEvents"]) {
    if (e["ph"] == ph && (cat.empty() || e.value("cat", "") == cat)) out.push_back(e);
  }
  return out;
}

class PerfettoTest : public ::testing::TestWithParam<ProbeBinary> {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "skipped: needs root (run tools/test with sudo)";
    if (!std::filesystem::exists("/sys/kernel/btf/vmlinux")) {
      GTEST_SKIP() << "skipped: the kernel has no BTF (/sys/kernel/btf/vmlinux)";
    }
  }
};

// go-probes/gc: 10 runtime.GC() calls with allocation between them (heap cycles too).
TEST_P(PerfettoTest, GcCyclesAreSlicesPausesAndCounters) {
  std::string exe = GetParam().path("gc");
  ASSERT_TRUE(std::filesystem::exists(exe)) << exe << " missing: run tools/build";
  TempDir dir;
  GriRun run = run_gri(dir, "gc", exe + " -n 10");
  ASSERT_NO_FATAL_FAILURE(check_trace_event_format(run));
  ASSERT_FALSE(run.report.is_discarded());
  const Json& cycles = run.report["data"]["cycles"];
  ASSERT_TRUE(cycles.is_array());
  ASSERT_GE(cycles.size(), 10u) << "10 forced cycles at least";

  // Exactly one "GC N" slice per cycle of the report, as long as its three phases.
  auto gc = events(run.trace, "X", "gc");
  ASSERT_EQ(gc.size(), cycles.size());
  std::map<uint64_t, Json> by_n;
  for (const Json& s : gc) {
    uint64_t n = s["args"]["n"];
    EXPECT_EQ(s["name"], "GC " + std::to_string(n));
    EXPECT_TRUE(by_n.emplace(n, s).second) << "two slices for GC " << n;
  }
  for (const Json& c : cycles) {
    uint64_t n = c["n"];
    ASSERT_TRUE(by_n.count(n)) << "no slice for GC " << n;
    double phases_us = c["stw_sweep_term_us"].get<double>() + c["mark_ms"].get<double>() * 1e3 +
                       c["stw_mark_term_us"].get<double>();
    EXPECT_NEAR(by_n[n]["dur"].get<double>(), phases_us, 0.01) << "GC " << n;
  }
  // Three phases each, the two pauses on their own track, gctrace's heap figures as counters.
  EXPECT_EQ(events(run.trace, "X", "gc.phase").size(), 3 * cycles.size());
  EXPECT_EQ(events(run.trace, "X", "stw").size(), 2 * cycles.size());
  std::map<std::string, size_t> counters;
  for (const Json& c : events(run.trace, "C", "")) ++counters[c["name"]];
  EXPECT_EQ(counters["heap live (bytes)"], 2 * cycles.size());
  EXPECT_EQ(counters["heap marked (bytes)"], cycles.size());
  EXPECT_EQ(counters["heap goal (bytes)"], cycles.size());
  std::cout << GetParam().label << ": " << cycles.size() << " cycles, "
            << run.trace["traceEvents"].size() << " trace events, " << run.trace_bytes
            << " bytes\n";
}

// go-probes/sched -mode imbalance: one track per P of the report, its status as slices and
// its run queue as a counter; the scheduler's counters.
TEST_P(PerfettoTest, SchedPsAreTracksWithRunQueueCounters) {
  std::string exe = GetParam().path("sched");
  ASSERT_TRUE(std::filesystem::exists(exe)) << exe << " missing: run tools/build";
  TempDir dir;
  GriRun run = run_gri(dir, "sched --rate 200", exe + " -mode imbalance -d 1");
  ASSERT_NO_FATAL_FAILURE(check_trace_event_format(run));
  ASSERT_FALSE(run.report.is_discarded());
  const Json& ps = run.report["data"]["ps"];
  ASSERT_TRUE(ps.is_array());
  ASSERT_GE(ps.size(), 1u);
  std::set<std::string> tracks;
  for (const Json& e : events(run.trace, "M", "")) {
    if (e["name"] == "thread_name") tracks.insert(e["args"]["name"]);
  }
  std::set<std::string> status_names = {"idle", "running", "syscall", "gcstop", "dead"};
  for (const Json& p : ps) {
    std::string name = "P" + std::to_string(p["id"].get<int>());
    EXPECT_TRUE(tracks.count(name)) << name << " has no track";
  }
  auto slices = events(run.trace, "X", "sched.p");
  ASSERT_FALSE(slices.empty());
  for (const Json& s : slices) EXPECT_TRUE(status_names.count(s["name"])) << s.dump();
  std::map<std::string, size_t> counters;
  for (const Json& c : events(run.trace, "C", "")) ++counters[c["name"]];
  EXPECT_GT(counters["P0 run queue"], 0u);
  EXPECT_GT(counters["idle Ps"], 0u);
  EXPECT_GT(counters["queued goroutines (local + global)"], 0u);
  std::cout << GetParam().label << ": " << ps.size() << " Ps, " << slices.size()
            << " status slices, " << run.trace["traceEvents"].size() << " trace events, "
            << run.trace_bytes << " bytes\n";
}

// go-probes/preempt (GOMAXPROCS=1, call-free loops): sysmon's SIGURGs and the async
// preemptions they cause, as instants on the threads' tracks joined by flows; the timeline's
// counts agree with the report's.
TEST_P(PerfettoTest, PreemptSignalsFlowToAsyncPreemptions) {
  std::string exe = GetParam().path("preempt");
  ASSERT_TRUE(std::filesystem::exists(exe)) << exe << " missing: run tools/build";
  TempDir dir;
  GriRun run = run_gri(dir, "preempt", exe + " -ms 1000");
  ASSERT_NO_FATAL_FAILURE(check_trace_event_format(run));
  ASSERT_FALSE(run.report.is_discarded());
  const Json& d = run.report["data"];
  ASSERT_TRUE(d.contains("timeline")) << d.dump();
  const Json& tl = d["timeline"];
  uint64_t lost = tl["lost"];
  EXPECT_EQ(lost, 0u);
  // Every SIGURG the kernel queued (not merged) and every async preemption has its record.
  EXPECT_EQ(tl["sigurg"].get<uint64_t>() + lost,
            d["sigurg"].get<uint64_t>() - d["sigurg_merged"].get<uint64_t>());
  EXPECT_EQ(tl["async_preemptions"].get<uint64_t>(), d["async_preemptions"].get<uint64_t>());
  EXPECT_GT(tl["async_preemptions"].get<uint64_t>(), 0u) << "loops that only sysmon can cut";
  uint64_t flows = tl["signal_to_preemption_flows"];
  EXPECT_EQ(events(run.trace, "s", "preempt").size(), flows);
  EXPECT_GT(flows, 0u);
  EXPECT_LE(flows, tl["async_preemptions"].get<uint64_t>());
  std::cout << GetParam().label << ": " << tl.dump() << ", " << run.trace["traceEvents"].size()
            << " trace events, " << run.trace_bytes << " bytes\n";
}

// go-probes/steal with two Ps: every steal a flow from the victim P's track to the thief's,
// as many as the report counts.
TEST_P(PerfettoTest, StealsFlowFromVictimToThief) {
  std::string exe = GetParam().path("steal");
  ASSERT_TRUE(std::filesystem::exists(exe)) << exe << " missing: run tools/build";
  TempDir dir;
  GriRun run = run_gri(dir, "steal", exe + " -bursts 600", "GOMAXPROCS=2");
  ASSERT_NO_FATAL_FAILURE(check_trace_event_format(run));
  ASSERT_FALSE(run.report.is_discarded());
  const Json& d = run.report["data"];
  ASSERT_TRUE(d.contains("timeline")) << d.dump();
  const Json& tl = d["timeline"];
  uint64_t steals = d["steals"], lost = tl["lost"];
  ASSERT_GT(steals, 0u);
  // The command exited before the counts were read: every steal has a record or is lost.
  EXPECT_EQ(tl["steals"].get<uint64_t>() + lost, steals);
  if (lost == 0) {
    EXPECT_EQ(tl["goroutines"].get<uint64_t>(), d["stolen_goroutines"].get<uint64_t>());
  }
  auto flows = events(run.trace, "s", "steal");
  EXPECT_EQ(flows.size(), tl["steals"].get<uint64_t>());
  // Victim and thief are two different Ps' tracks.
  std::map<uint64_t, Json> ends;
  for (const Json& f : events(run.trace, "f", "steal")) ends[f["id"]] = f;
  for (const Json& s : flows) {
    const Json& f = ends[s["id"]];
    EXPECT_NE(s["tid"], f["tid"]) << s.dump() << f.dump();
    EXPECT_LE(s["ts"].get<double>(), f["ts"].get<double>()) << s.dump() << f.dump();
  }
  std::cout << GetParam().label << ": " << tl.dump() << ", " << run.trace["traceEvents"].size()
            << " trace events, " << run.trace_bytes << " bytes\n";
}

INSTANTIATE_TEST_SUITE_P(Toolchains, PerfettoTest, ::testing::ValuesIn(probe_binaries({""})),
                         [](const auto& info) { return param_name(info.param.label); });

}  // namespace
