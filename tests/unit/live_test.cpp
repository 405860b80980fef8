// -i SECONDS without a kernel: the interval's checks (and gri's usage errors for bad ones),
// the vmstat-like header repetition, and each experiment's rows and lines from fixed reads:
// deltas that add up to the last read, and columns that stay fixed-width.
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <string>
#include <vector>

#include "exp/alloc/live.h"
#include "exp/gc/live.h"
#include "exp/sched/live.h"
#include "exp/timers/live.h"
#include "go_probes.h"
#include "session/session.h"

namespace {

using gri::session::parse_interval;

TEST(LiveInterval, AcceptsSecondsFromATenth) {
  EXPECT_EQ(*parse_interval("1"), 1.0);
  EXPECT_EQ(*parse_interval("0.5"), 0.5);
  EXPECT_EQ(*parse_interval("0.1"), 0.1);
  EXPECT_EQ(*parse_interval("3600"), 3600.0);
}

TEST(LiveInterval, RejectsWhatIsNotAnInterval) {
  for (const char* bad : {"0", "-1", "0.05", "abc", "1s", "", "nan", "inf", "3601"}) {
    auto v = parse_interval(bad);
    ASSERT_FALSE(v) << bad;
    EXPECT_TRUE(v.error().usage) << bad;
  }
  EXPECT_NE(parse_interval("0").error().message.find("more than 0"), std::string::npos);
  EXPECT_NE(parse_interval("0.05").error().message.find("at least 0.1"), std::string::npos);
  EXPECT_NE(parse_interval("abc").error().message.find("not a number"), std::string::npos);
}

// gri itself: exit 2 and one line, before anything needs root.
TEST(LiveInterval, GriSaysUsageErrorInOneLine) {
  for (const char* cmd : {"gc", "sched", "alloc", "timers"}) {
    for (const char* bad : {"0", "-0.5", "abc", "0.01"}) {
      std::string command =
          gri::test::build_dir() + "/gri " + cmd + " -i " + bad + " -- true 2>&1";
      FILE* p = popen(command.c_str(), "r");
      ASSERT_TRUE(p);
      std::string out;
      std::array<char, 4096> buf;
      size_t n;
      while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
      int st = pclose(p);
      EXPECT_EQ(WIFEXITED(st) ? WEXITSTATUS(st) : -1, 2) << command << "\n" << out;
      EXPECT_EQ(out.rfind("gri: ", 0), 0u) << out;
      EXPECT_NE(out.find("interval"), std::string::npos) << out;
      EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
    }
  }
}

std::vector<std::string> lines_of(FILE* f) {
  std::rewind(f);
  std::vector<std::string> out;
  std::array<char, 512> buf;
  while (std::fgets(buf.data(), buf.size(), f)) {
    std::string s = buf.data();
    if (!s.empty() && s.back() == '\n') s.pop_back();
    out.push_back(s);
  }
  return out;
}

TEST(LiveLines, HeaderFirstAndEveryTwentyLines) {
  FILE* f = std::tmpfile();
  ASSERT_TRUE(f);
  gri::session::LiveLines lines(f, "HEADER");
  for (int i = 0; i < 45; i++) lines.print("line " + std::to_string(i));
  auto got = lines_of(f);
  std::fclose(f);
  ASSERT_EQ(got.size(), 48u);  // 45 lines, 3 headers
  EXPECT_EQ(got[0], "HEADER");
  EXPECT_EQ(got[1], "line 0");
  EXPECT_EQ(got[21], "HEADER");
  EXPECT_EQ(got[22], "line 20");
  EXPECT_EQ(got[42], "HEADER");
  EXPECT_EQ(got[47], "line 44");
  EXPECT_EQ(lines.lines(), 45);
}

TEST(LiveLines, StdoutUnlessItCarriesTheJson) {
  EXPECT_EQ(gri::session::live_stream(""), stdout);
  EXPECT_EQ(gri::session::live_stream("/tmp/out"), stdout);
  EXPECT_EQ(gri::session::live_stream("/dev/stderr"), stderr);  // --json - (cli/command.h)
}

// Every line as wide as its header, the columns right-aligned under it.
void expect_aligned(const std::string& header, const std::vector<std::string>& lines) {
  for (const std::string& l : lines) {
    EXPECT_EQ(l.size(), header.size()) << "\n" << header << "\n" << l;
    EXPECT_LE(l.size(), 100u);
  }
}

namespace gc = gri::exp::gc;

gc::GcCycle cycle(uint32_t n, uint64_t live_mib, uint64_t goal_mib, int64_t stw1_us,
                  int64_t stw2_us) {
  gc::GcCycle c;
  c.numgc = n;
  c.heap2 = live_mib << 20;
  c.heap_goal = goal_mib << 20;
  c.t_sweep_term = 1000000;
  c.t_mark = c.t_sweep_term + stw1_us * 1000;
  c.t_mark_term = c.t_mark + 5000000;
  c.t_end = c.t_mark_term + stw2_us * 1000;
  return c;
}

TEST(GcLive, CyclesAddUpAndPausesAreTheIntervals) {
  gc::GcLiveState state;
  gc::GcCounts a, b, c;
  a.cycles = 0;
  b.cycles = 3;
  b.cycle_events = {cycle(1, 4, 8, 30, 120), cycle(2, 5, 10, 40, 80), cycle(3, 6, 12, 250, 60)};
  c = b;
  c.cycles = 4;
  c.cycle_events.push_back(cycle(4, 7, 14, 20, 90));
  std::vector<gc::GcLiveRow> rows = {state.next(a, 1.0), state.next(b, 2.0),
                                     state.next(b, 3.0), state.next(c, 3.4)};
  uint64_t sum = 0;
  for (const auto& r : rows) sum += r.cycles;
  EXPECT_EQ(sum, 4u);
  EXPECT_EQ(rows[1].cycles, 3u);
  EXPECT_EQ(rows[1].total, 3u);
  EXPECT_DOUBLE_EQ(*rows[1].stw_max_us, 250);
  EXPECT_EQ(*rows[1].heap_live, 6u << 20);
  EXPECT_FALSE(rows[0].stw_max_us);
  EXPECT_FALSE(rows[0].heap_live);
  EXPECT_FALSE(rows[2].stw_max_us);        // no cycle in that interval
  EXPECT_EQ(*rows[2].heap_goal, 12u << 20);  // the last cycle's, kept
  EXPECT_DOUBLE_EQ(*rows[3].stw_max_us, 90);
  EXPECT_EQ(gc::live_line(rows[1]), "     2.0       3       3       6.0      12.0         250");
  EXPECT_EQ(gc::live_line(rows[0]), "     1.0       0       0         -         -           -");
  std::vector<std::string> lines;
  for (const auto& r : rows) lines.push_back(gc::live_line(r));
  expect_aligned(gc::live_header(), lines);
}

namespace sched = gri::exp::sched;

TEST(SchedLive, AveragesOverTheIntervalsSnapshots) {
  sched::SchedLiveRow r;
  r.elapsed_s = 1.0;
  r.runnable_ns = 12'345'678;
  gri::snapshot::RuntimeSnapshot s;
  s.gomaxprocs = 4;
  s.npidle = 1;
  s.nmspinning = 1;
  s.global_runq = 3;
  r.sums.add(s);
  s.npidle = 2;
  s.nmspinning = 0;
  s.global_runq = 0;
  r.sums.add(s);
  EXPECT_EQ(r.sums.samples, 2u);
  EXPECT_EQ(r.sums.queued, 3u);
  EXPECT_EQ(sched::live_line(r), "     1.0     4      1.5     1.5       0.5         12.3      2");
  sched::SchedLiveRow none;
  none.elapsed_s = 0.5;
  EXPECT_EQ(sched::live_line(none),
            "     0.5     -        -       -         -          0.0      0");
  expect_aligned(sched::live_header(), {sched::live_line(r), sched::live_line(none)});

  sched::SchedCounts counts;
  counts.threads = {{1, 0, 5, 0, 0}, {2, 0, 7, 0, 0}};
  EXPECT_EQ(sched::runnable_ns(counts), 12u);
}

namespace alloc = gri::exp::alloc;

alloc::HeapCounts heap(uint64_t tiny, uint64_t large, uint64_t large_bytes,
                       std::vector<uint64_t> small) {
  alloc::HeapCounts h;
  h.tiny_allocs = tiny;
  h.large_objects = large;
  h.large_bytes = large_bytes;
  h.small = std::move(small);
  return h;
}

TEST(AllocLive, RatesFromCountersAndDeltasThatAddUp) {
  alloc::SizeClasses classes;
  classes.size = {0, 8, 16};
  alloc::AllocLiveState state(classes, std::nullopt, true);  // a launched command: from zero
  auto r1 = state.next(heap(100, 2, 2 << 20, {0, 1000, 500}), 0.5);
  auto r2 = state.next(std::nullopt, 1.0);  // unreadable: carried to the next line
  auto r3 = state.next(heap(150, 3, 3 << 20, {0, 1000, 1000}), 1.5);
  EXPECT_TRUE(r1.read);
  EXPECT_EQ(r1.objects, 1602);
  EXPECT_EQ(r1.bytes, (2 << 20) + 8000 + 8000);
  EXPECT_FALSE(r2.read);
  EXPECT_TRUE(r3.read);
  EXPECT_DOUBLE_EQ(r3.seconds, 1.0);
  EXPECT_EQ(r3.tiny, 50);
  EXPECT_EQ(r3.large, 1);
  EXPECT_EQ(r3.objects, 551);
  EXPECT_EQ(r1.tiny + r3.tiny, 150);
  EXPECT_EQ(alloc::live_line(r1), "     0.5         3204       4.0        100        2");
  EXPECT_EQ(alloc::live_line(r2), "     1.0            -         -          -        -");
  expect_aligned(alloc::live_header(),
                 {alloc::live_line(r1), alloc::live_line(r2), alloc::live_line(r3)});

  // -p: the first read is the base, its line empty.
  alloc::AllocLiveState attached(classes, std::nullopt, false);
  EXPECT_FALSE(attached.next(heap(100, 2, 0, {0, 0, 0}), 1.0).read);
  auto a2 = attached.next(heap(130, 2, 0, {0, 0, 0}), 2.0);
  EXPECT_TRUE(a2.read);
  EXPECT_EQ(a2.tiny, 30);
}

namespace timers = gri::exp::timers;

TEST(TimersLive, OpsPerSecondLatenessAndTotal) {
  timers::TimersLiveState state;
  timers::TimersCounts a, b;
  a.ops[{0, 0, 0x10}] = 10;  // add
  a.ops[{1, 1, 0x10}] = 20;  // modify
  a.ops[{3, 0, 0x20}] = 6;   // run
  a.late[{0x20, 40}] = 6;
  b = a;
  b.ops[{1, 0, 0x30}] = 5;
  b.ops[{2, 0, 0x30}] = 4;
  b.ops[{3, 0, 0x20}] = 9;
  b.late[{0x20, 80}] = 3;
  auto r1 = state.next(a, 0.5);
  auto r2 = state.next(b, 1.0);
  auto r3 = state.next(b, 1.5);
  EXPECT_EQ(r1.total, 36u);
  EXPECT_EQ(r2.ops, (std::array<uint64_t, 4>{0, 5, 4, 3}));
  EXPECT_EQ(r2.total, 48u);
  auto [lo40, w40] = timers::late_bucket_range(40);
  auto [lo80, w80] = timers::late_bucket_range(80);
  auto mid = [](uint64_t lo, uint64_t w) {
    return (static_cast<double>(lo) + static_cast<double>(w) / 2) / 1e3;
  };
  EXPECT_DOUBLE_EQ(*r1.late_p50_us, mid(lo40, w40));
  // The interval's runs only (3 in bucket 80), not the first interval's 6 in bucket 40.
  EXPECT_DOUBLE_EQ(*r2.late_p50_us, mid(lo80, w80));
  EXPECT_FALSE(r3.late_p50_us);
  EXPECT_EQ(r3.total, 48u);
  std::string l1 = timers::live_line(r1);
  EXPECT_EQ(l1.substr(0, 49), "     0.5        20        40         0        12 ");
  EXPECT_EQ(timers::live_line(r3),
            "     1.5         0         0         0         0            -         48");
  expect_aligned(timers::live_header(), {l1, timers::live_line(r2), timers::live_line(r3)});
  EXPECT_FALSE(timers::median_us({}));
}

}  // namespace
