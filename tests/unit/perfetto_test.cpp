// The Perfetto renderer (user/report/perfetto.cpp): a report's timeline as Chrome trace-event
// JSON. What ui.perfetto.dev and chrome://tracing need: "traceEvents", ts and dur in
// microseconds, metadata naming processes and threads, flows paired by id, and per thread
// events in time order.
#include "report/perfetto.h"

#include "exp/gc/timeline.h"
#include "exp/preempt/timeline.h"
#include "exp/sched/sampler.h"
#include "exp/sched/timeline.h"
#include "exp/steal/timeline.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <tuple>
#include <vector>
#include <set>
#include <string>
#include <utility>

namespace {

using gri::report::Report;
using gri::report::Timeline;
using Json = nlohmann::json;

Json render(const Report& r) {
  auto text = gri::report::render_perfetto(r);
  EXPECT_TRUE(text.ok()) << (text.ok() ? "" : text.error().message);
  if (!text.ok()) return Json();
  return Json::parse(*text);
}

// Events of phase `ph`, in file order.
std::vector<Json> of_phase(const Json& doc, const std::string& ph) {
  std::vector<Json> out;
  for (const Json& e : doc["traceEvents"]) {
    if (e["ph"] == ph) out.push_back(e);
  }
  return out;
}

Report sample() {
  Report r;
  r.experiment = "EXP-05";
  r.target.pid = 4242;
  Timeline& t = r.timeline;
  size_t gc = t.track("GC", "phases");
  size_t p0 = t.track("Ps", "P0");
  size_t p1 = t.track("Ps", "P1");
  EXPECT_EQ(t.track("GC", "phases"), gc);  // found, not added again
  // Added out of time order, and a child starting with its parent: the renderer orders them.
  t.slices.push_back({gc, 2'000'500, 100, "mark", "gc", {}});
  t.slices.push_back({gc, 2'000'000, 1'000, "GC 1", "gc", {{"n", 1}}});
  t.slices.push_back({gc, 2'000'000, 500, "sweep termination", "stw", {}});
  t.slices.push_back({p0, 1'000'000, 2'000, "steal", "steal", {}});
  t.slices.push_back({p1, 1'001'000, 2'000, "stolen from", "steal", {}});
  t.instants.push_back({p0, 1'500'250, "SIGURG", "preempt", {}});
  t.counters.push_back({"GC", "heap live (bytes)", 2'000'000, 4 << 20});
  t.counters.push_back({"GC", "heap live (bytes)", 1'000'000, 3 << 20});
  // A steal: from the victim P1 to the thief P0.
  t.instants.push_back({p1, 1'002'000, "stolen from", "steal", {}});
  t.instants.push_back({p0, 1'002'100, "stole", "steal", {}});
  t.flows.push_back({"steal", "steal", 1, 2});
  return r;
}

TEST(Perfetto, EmptyTimelineIsAnError) {
  Report r;
  r.experiment = "EXP-02";
  auto text = gri::report::render_perfetto(r);
  ASSERT_FALSE(text.ok());
  EXPECT_NE(text.error().message.find("EXP-02"), std::string::npos) << text.error().message;
}

TEST(Perfetto, TrackOrInstantOutOfRangeIsAnError) {
  Report r;
  r.timeline.track("GC", "phases");
  r.timeline.slices.push_back({3, 0, 1, "x", "gc", {}});
  EXPECT_FALSE(gri::report::render_perfetto(r).ok());
  Report f = sample();
  f.timeline.flows.push_back({"steal", "steal", 0, 9});
  EXPECT_FALSE(gri::report::render_perfetto(f).ok());
}

TEST(Perfetto, DocumentShape) {
  Json doc = render(sample());
  ASSERT_TRUE(doc.is_object());
  ASSERT_TRUE(doc["traceEvents"].is_array());
  EXPECT_EQ(doc["displayTimeUnit"], "ns");
  EXPECT_EQ(doc["otherData"]["experiment"], "EXP-05");
  EXPECT_EQ(doc["otherData"]["pid"], 4242);
  for (const Json& e : doc["traceEvents"]) {
    ASSERT_TRUE(e.contains("ph") && e.contains("pid") && e.contains("tid")) << e.dump();
    if (e["ph"] != "M") {
      ASSERT_TRUE(e["ts"].is_number()) << e.dump();
    }
  }
  EXPECT_EQ(of_phase(doc, "X").size(), 7u);  // 5 slices, 2 instants a flow joins
  EXPECT_EQ(of_phase(doc, "i").size(), 1u);
  EXPECT_EQ(of_phase(doc, "C").size(), 2u);
  EXPECT_EQ(of_phase(doc, "s").size(), 1u);
  EXPECT_EQ(of_phase(doc, "f").size(), 1u);
}

TEST(Perfetto, GroupsAreProcessesAndTracksThreads) {
  Json doc = render(sample());
  std::map<int, std::string> processes;
  std::map<std::pair<int, int>, std::string> threads;
  for (const Json& e : of_phase(doc, "M")) {
    if (e["name"] == "process_name") processes[e["pid"]] = e["args"]["name"];
    if (e["name"] == "thread_name") threads[{e["pid"], e["tid"]}] = e["args"]["name"];
  }
  ASSERT_EQ(processes.size(), 2u);
  EXPECT_EQ(processes[1], "GC");
  EXPECT_EQ(processes[2], "Ps");
  ASSERT_EQ(threads.size(), 3u);
  EXPECT_EQ((threads[{1, 1}]), "phases");
  EXPECT_EQ((threads[{2, 2}]), "P0");
  EXPECT_EQ((threads[{2, 3}]), "P1");
  // Every timed event sits on a named thread, counters on a named process.
  for (const Json& e : doc["traceEvents"]) {
    if (e["ph"] == "M") continue;
    if (e["ph"] == "C") {
      EXPECT_TRUE(processes.count(e["pid"])) << e.dump();
    } else {
      EXPECT_TRUE(threads.count({e["pid"], e["tid"]})) << e.dump();
    }
  }
}

TEST(Perfetto, TimesAreMicrosecondsWithNanosecondFractions) {
  Json doc = render(sample());
  auto instants = of_phase(doc, "i");
  ASSERT_EQ(instants.size(), 1u);
  EXPECT_DOUBLE_EQ(instants[0]["ts"].get<double>(), 1500.25);
  EXPECT_EQ(instants[0]["s"], "t");
  for (const Json& x : of_phase(doc, "X")) {
    if (x["name"] == "GC 1") {
      EXPECT_DOUBLE_EQ(x["ts"].get<double>(), 2000.0);
      EXPECT_DOUBLE_EQ(x["dur"].get<double>(), 1.0);
      EXPECT_EQ(x["args"]["n"], 1);
      EXPECT_EQ(x["cat"], "gc");
    }
  }
}

TEST(Perfetto, EventsInTimeOrderPerTrackParentsFirst) {
  Json doc = render(sample());
  std::map<std::pair<int, int>, double> last;
  for (const Json& e : doc["traceEvents"]) {
    if (e["ph"] == "M") continue;
    std::pair<int, int> key{e["pid"], e["tid"]};
    double ts = e["ts"];
    if (last.count(key)) {
      EXPECT_LE(last[key], ts) << e.dump();
    }
    last[key] = ts;
  }
  // Two slices starting together: the longer (enclosing) one comes first, so viewers nest
  // the shorter inside it.
  std::vector<std::string> gc;
  for (const Json& x : of_phase(doc, "X")) {
    if (x["pid"] == 1) gc.push_back(x["name"]);
  }
  EXPECT_EQ(gc, (std::vector<std::string>{"GC 1", "sweep termination", "mark"}));
  auto counters = of_phase(doc, "C");
  ASSERT_EQ(counters.size(), 2u);
  EXPECT_EQ(counters[0]["args"]["value"], 3 << 20);
  EXPECT_EQ(counters[1]["args"]["value"], 4 << 20);
}

TEST(Perfetto, FlowsHaveBothEndsWithOneId) {
  Report r = sample();
  size_t p0 = r.timeline.track("Ps", "P0");
  r.timeline.instants.push_back({p0, 1'000'100, "a", "steal", {}});
  r.timeline.instants.push_back({p0, 1'000'200, "b", "steal", {}});
  r.timeline.flows.push_back({"steal", "steal", 3, 4});
  Json doc = render(r);
  std::map<uint64_t, int> starts, ends;
  for (const Json& s : of_phase(doc, "s")) ++starts[s["id"].get<uint64_t>()];
  for (const Json& f : of_phase(doc, "f")) {
    ++ends[f["id"].get<uint64_t>()];
    EXPECT_EQ(f["bp"], "e");
  }
  EXPECT_EQ(starts.size(), 2u);
  EXPECT_EQ(starts, ends);
  for (auto [id, n] : starts) EXPECT_EQ(n, 1) << id;
  // The first flow runs from P1 (victim, tid 3) to P0 (thief, tid 2).
  for (const Json& s : of_phase(doc, "s")) {
    if (s["id"] == 1) {
      EXPECT_EQ(s["tid"], 3);
      EXPECT_DOUBLE_EQ(s["ts"].get<double>(), 1002.0);
    }
  }
  for (const Json& f : of_phase(doc, "f")) {
    if (f["id"] == 1) {
      EXPECT_EQ(f["tid"], 2);
      EXPECT_DOUBLE_EQ(f["ts"].get<double>(), 1002.1);
    }
  }
}

// Viewers bind a flow's end to the slice that encloses it (start <= ts < end), never to an
// instant: every flow event has such a slice on its track.
TEST(Perfetto, EveryFlowEndIsInsideASliceOfItsTrack) {
  Json doc = render(sample());
  auto slices = of_phase(doc, "X");
  for (const std::string ph : {"s", "f"}) {
    for (const Json& e : of_phase(doc, ph)) {
      double ts = e["ts"];
      bool inside = false;
      for (const Json& x : slices) {
        double start = x["ts"], end = start + x["dur"].get<double>();
        inside = inside || (x["pid"] == e["pid"] && x["tid"] == e["tid"] && start < ts && ts < end);
      }
      EXPECT_TRUE(inside) << e.dump();
    }
  }
}

TEST(Perfetto, DroppedEventsAreStated) {
  Report r = sample();
  r.timeline.dropped_events = 17;
  Json doc = render(r);
  EXPECT_EQ(doc["otherData"]["dropped_events"], 17);
}

// The experiments' timelines, from what their probes hand over.

TEST(PerfettoTimeline, GcCycleIsOneSliceWithItsPhasesPausesAndHeapCounters) {
  gri::exp::gc::GcCycle c;
  c.numgc = 7;
  c.t_sweep_term = 1'000'000;
  c.t_mark = 1'000'050;
  c.t_mark_term = 1'900'000;
  c.t_end = 1'900'080;
  c.heap0 = 4 << 20;
  c.heap1 = 5 << 20;
  c.heap2 = 2 << 20;
  c.heap_goal = 8 << 20;
  gri::exp::gc::GcCycle torn = c;  // a time out of order: left out
  torn.numgc = 8;
  torn.t_end = 0;
  nlohmann::ordered_json figures = nlohmann::ordered_json::array({{{"n", 7}}, {{"n", 8}}});
  Timeline t;
  gri::exp::gc::add_timeline({c, torn}, figures, t);
  ASSERT_EQ(t.slices.size(), 6u);
  EXPECT_EQ(t.slices[0].name, "GC 7");
  EXPECT_EQ(t.slices[0].start_ns, 1'000'000);
  EXPECT_EQ(t.slices[0].dur_ns, 900'080);
  EXPECT_EQ(t.slices[0].args["n"], 7);
  EXPECT_EQ(t.slices[1].dur_ns, 50);  // sweep termination
  EXPECT_EQ(t.slices[3].dur_ns, 80);  // mark termination
  int stw = 0;
  for (const auto& s : t.slices) stw += s.category == "stw";
  EXPECT_EQ(stw, 2);
  ASSERT_EQ(t.counters.size(), 4u);
  EXPECT_EQ(t.counters[0].value, 4 << 20);
  EXPECT_EQ(t.counters[2].name, "heap marked (bytes)");
  EXPECT_EQ(t.counters[2].ts_ns, 1'900'080);
}

TEST(PerfettoTimeline, SigurgFlowsToTheNextAsyncPreemptionOnItsThread) {
  using gri::exp::preempt::PreemptEvent;
  gri::exp::preempt::PreemptEvents e;
  e.recorded = true;
  // Out of time order (as a ring fed by two CPUs gives them), a preemption without a signal
  // of its own (thread 30), and a signal that caused none (to thread 40).
  e.events = {{2'000, PreemptEvent::Kind::kAsync, 20, 0, 1},
              {1'000, PreemptEvent::Kind::kSigurg, 20, 10, -1},
              {3'000, PreemptEvent::Kind::kAsync, 30, 0, 0},
              {4'000, PreemptEvent::Kind::kSigurg, 40, 10, -1}};
  e.lost = 2;
  Report r;
  gri::exp::preempt::report_timeline(e, r);
  Timeline& t = r.timeline;
  ASSERT_EQ(t.flows.size(), 1u);
  const auto& from = t.instants[t.flows[0].from];
  const auto& to = t.instants[t.flows[0].to];
  EXPECT_EQ(t.tracks[from.track].name, "tid 10");  // the sender
  EXPECT_EQ(from.ts_ns, 1'000);
  EXPECT_EQ(t.tracks[to.track].name, "tid 20");
  EXPECT_EQ(to.name, "asyncPreempt2 (P1)");
  EXPECT_EQ(t.instants.size(), 4u);
  EXPECT_EQ(r.data["timeline"]["sigurg"], 2);
  EXPECT_EQ(r.data["timeline"]["async_preemptions"], 2);
  EXPECT_EQ(r.data["timeline"]["signal_to_preemption_flows"], 1);
  EXPECT_EQ(r.lost_events, 2u);
  EXPECT_EQ(t.dropped_events, 2u);
  EXPECT_FALSE(r.notes.empty());
  Json doc = render(r);
  EXPECT_EQ(of_phase(doc, "s").size(), 1u);
  EXPECT_EQ(of_phase(doc, "i").size(), 2u);  // the two instants no flow joins
}

TEST(PerfettoTimeline, StealIsAFlowFromVictimToThief) {
  gri::exp::steal::StealEvents e;
  e.recorded = true;
  e.events = {{1'000, 1'400, 1, 0, 16, 99}, {2'000, 2'100, 0, 1, 3, 98}};
  Report r;
  gri::exp::steal::report_timeline(e, r);
  const Timeline& t = r.timeline;
  ASSERT_EQ(t.flows.size(), 2u);
  EXPECT_EQ(t.tracks[t.instants[t.flows[0].from].track].name, "P0");  // victim
  EXPECT_EQ(t.tracks[t.instants[t.flows[0].to].track].name, "P1");    // thief
  EXPECT_EQ(t.instants[t.flows[0].from].ts_ns, 1'000);
  EXPECT_EQ(t.instants[t.flows[0].to].ts_ns, 1'400);
  EXPECT_EQ(r.data["timeline"]["steals"], 2);
  EXPECT_EQ(r.data["timeline"]["goroutines"], 19);
  EXPECT_EQ(r.lost_events, 0u);
  // Not recorded (runqgrab not probed): nothing added.
  Report none;
  gri::exp::steal::report_timeline(gri::exp::steal::StealEvents{}, none);
  EXPECT_TRUE(none.timeline.empty());
  EXPECT_FALSE(none.data.contains("timeline"));
}

TEST(PerfettoTimeline, SchedPStatusRunsAreSlicesAndRunQueuesCounters) {
  gri::exp::sched::SampleSummary sum;
  auto snap = [](uint64_t ns, uint32_t s0, uint32_t q0) {
    gri::snapshot::RuntimeSnapshot s;
    s.mono_ns = ns;
    s.gomaxprocs = 2;
    gri::snapshot::PSample p0, p1;
    p0.id = 0;
    p0.status = s0;
    p0.runq_len = q0;
    p1.id = 1;
    p1.status = 0;
    p1.runq_len = 0;
    s.ps = {p0, p1};
    return s;
  };
  sum.add(snap(1'000, 1, 3));
  sum.add(snap(2'000, 1, 3));
  sum.add(snap(3'000, 0, 0));
  sum.add(snap(4'000, 0, 0));
  Timeline t;
  gri::exp::sched::add_timeline(sum, t);
  // P0: running 1000-3000, idle 3000-4000; P1: idle 1000-4000.
  std::vector<std::tuple<std::string, std::string, int64_t, int64_t>> slices;
  for (const auto& s : t.slices) {
    slices.emplace_back(t.tracks[s.track].name, s.name, s.start_ns, s.dur_ns);
  }
  std::sort(slices.begin(), slices.end());
  EXPECT_EQ(slices, (std::vector<std::tuple<std::string, std::string, int64_t, int64_t>>{
                        {"P0", "idle", 3'000, 1'000},
                        {"P0", "running", 1'000, 2'000},
                        {"P1", "idle", 1'000, 3'000}}));
  std::vector<std::pair<int64_t, double>> p0;
  for (const auto& c : t.counters) {
    if (c.name == "P0 run queue") p0.emplace_back(c.ts_ns, c.value);
  }
  EXPECT_EQ(p0, (std::vector<std::pair<int64_t, double>>{{1'000, 3}, {3'000, 0}, {4'000, 0}}));
  size_t idle = 0;
  for (const auto& c : t.counters) idle += c.name == "idle Ps";
  EXPECT_EQ(idle, sum.series.points().size());
  EXPECT_GT(idle, 0u);
}

}  // namespace
