// EXP-01's logic without a kernel: the schedtrace parser against lines of go1.19 and go1.26,
// the verdict rule, the blocked-stack classifier on a small function table, and which wait
// reasons count as mutex waits.
#include <gtest/gtest.h>

#include "exp/sched/blocking.h"
#include "exp/sched/census.h"
#include "exp/sched/schedtrace.h"
#include "exp/sched/verdicts.h"

namespace {

using namespace gri::exp::sched;

TEST(SchedTrace, ParsesBothFormats) {
  // go1.26 (runtime/proc.go schedtrace) and go1.19, as they printed here; other output between.
  auto lines = parse_schedtrace(
      "SCHED 1011ms: gomaxprocs=2 idleprocs=0 threads=4 spinningthreads=0 needspinning=1 "
      "idlethreads=1 runqueue=125 [ 40 52 ] schedticks=[ 2074 1726 ]\n"
      "sched-probe: mode=cpu ops=1\n"
      "SCHED 0ms: gomaxprocs=2 idleprocs=1 threads=2 spinningthreads=0 idlethreads=0 "
      "runqueue=0 [0 3]\n"
      "SCHED garbage\n");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].ms, 1011u);
  EXPECT_EQ(lines[0].idleprocs, 0);
  EXPECT_EQ(lines[0].global_runq, 125);
  EXPECT_EQ(lines[0].local_runq, (std::vector<int64_t>{40, 52}));
  EXPECT_EQ(lines[1].global_runq, 0);
  EXPECT_EQ(lines[1].local_runq, (std::vector<int64_t>{0, 3}));
}

TEST(SchedVerdicts, CpuSaturated) {
  VerdictInputs in;
  in.duration_s = 2;
  in.gomaxprocs = 2;
  in.idle_frac = 0.01;
  in.queued_avg = 6;
  in.mutex_waiters_avg = 0;
  Verdicts v = decide(in);
  EXPECT_EQ(v.cpu.result, "verified") << v.cpu.evidence;
  EXPECT_EQ(v.lock.result, "refuted") << v.lock.evidence;
  EXPECT_DOUBLE_EQ(v.cpu_wait_s, 12);
}

TEST(SchedVerdicts, LockContended) {
  VerdictInputs in;
  in.duration_s = 2;
  in.idle_frac = 0.4;
  in.queued_avg = 0.2;
  in.mutex_waiters_avg = 6;
  in.runtime_lock_s = 0.1;
  Verdicts v = decide(in);
  EXPECT_EQ(v.cpu.result, "refuted") << v.cpu.evidence;
  EXPECT_EQ(v.lock.result, "verified") << v.lock.evidence;
  EXPECT_DOUBLE_EQ(v.lock_wait_s, 12.1);
}

TEST(SchedVerdicts, WithoutDataInconclusive) {
  VerdictInputs in;
  in.duration_s = 2;
  in.snapshots_missing = "stripped";
  in.census_missing = "stripped";
  Verdicts v = decide(in);
  EXPECT_EQ(v.cpu.result, "inconclusive");
  EXPECT_EQ(v.lock.result, "inconclusive");
  EXPECT_NE(v.cpu.evidence.find("stripped"), std::string::npos);
  // Threads blocked long in runtime locks are evidence of contention even without a census.
  in.runtime_lock_s = 3;
  EXPECT_EQ(decide(in).lock.result, "verified");
}

TEST(SchedBlocking, ClassifiesByInnermostKnownFrame) {
  gri::goelf::Pclntab t;
  // Functions at 0x1000 + 0x100 * i, each 0x100 long.
  const char* names[] = {"runtime.futex", "runtime.futexsleep", "runtime.notesleep",
                         "runtime.stopm", "runtime.findRunnable", "runtime.lock2",
                         "runtime.netpoll", "runtime.epollwait", "main.work",
                         "runtime.mcall", "runtime.semacquire1"};
  for (size_t i = 0; i < std::size(names); ++i) {
    t.functions.push_back({names[i], 0x1000 + 0x100 * i, 0x1100 + 0x100 * i});
  }
  auto pc = [](int i) { return uint64_t(0x1000 + 0x100 * i + 0x10); };
  const uint64_t bias = 0x5550000;
  std::vector<uint64_t> idle = {pc(0) + bias, pc(1) + bias, pc(2) + bias, pc(3) + bias,
                                pc(4) + bias};
  BlockReason r = classify_blocked_stack(t, idle, bias);
  EXPECT_EQ(r.kind, BlockKind::kIdle);
  EXPECT_EQ(r.where, "runtime.stopm");
  // stopm taking sched.lock: the lock, and who took it.
  std::vector<uint64_t> lock = {pc(0), pc(1), pc(5), pc(3), pc(4)};
  r = classify_blocked_stack(t, lock, 0);
  EXPECT_EQ(r.kind, BlockKind::kRuntimeLock);
  EXPECT_EQ(r.where, "runtime.stopm");
  std::vector<uint64_t> poll = {pc(7), pc(6), pc(4)};
  r = classify_blocked_stack(t, poll, 0);
  EXPECT_EQ(r.kind, BlockKind::kNetpoll);
  EXPECT_EQ(r.where, "runtime.netpoll");
  // go1.19: epollwait has no frame, so netpoll is not on the walk.
  std::vector<uint64_t> leaf = {pc(7), pc(4)};
  EXPECT_EQ(classify_blocked_stack(t, leaf, 0).kind, BlockKind::kNetpoll);
  // go1.19: the walk crosses mcall into the parked goroutine; only the g0 part counts.
  std::vector<uint64_t> crossed = {pc(0), pc(2), pc(9), pc(10), pc(8)};
  r = classify_blocked_stack(t, crossed, 0);
  EXPECT_EQ(r.kind, BlockKind::kOther);
  EXPECT_EQ(r.where, "runtime.mcall");
  std::vector<uint64_t> other = {pc(0), pc(8)};
  r = classify_blocked_stack(t, other, 0);
  EXPECT_EQ(r.kind, BlockKind::kOther);
  EXPECT_EQ(r.where, "main.work");
  EXPECT_EQ(classify_blocked_stack(t, {}, 0).kind, BlockKind::kUnknown);
  EXPECT_EQ(t.at(0x999), nullptr);
  EXPECT_EQ(t.at(0x1000 + 0x100 * std::size(names)), nullptr);
}

TEST(SchedCensus, MutexWaitReasons) {
  // go1.26 names sync.Mutex waits; "semacquire" is then something else (WaitGroup, ...).
  auto v = mutex_wait_reasons({"", "semacquire", "sync.Mutex.Lock", "sync.RWMutex.RLock",
                               "sync.WaitGroup.Wait"});
  EXPECT_EQ(v, (std::vector<bool>{false, false, true, true, false}));
  // go1.19 has only "semacquire".
  v = mutex_wait_reasons({"", "GC assist marking", "semacquire"});
  EXPECT_EQ(v, (std::vector<bool>{false, false, true}));
}

}  // namespace
