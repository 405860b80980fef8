// snapshot::Snapshotter: decoding and the torn-read policy against a fake memory laid out with
// the real offsets of each toolchain's gc workload (DWARF), process_vm_readv's errors on real
// processes, and live snapshots of the gc workload run with GOMAXPROCS=3 (our own child: no
// root needed where kernel.yama.ptrace_scope allows reading descendants).
#include "snapshot/snapshot.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <iostream>
#include <map>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "go_probes.h"
#include "goelf/go_binary.h"
#include "goelf/runtime_layout.h"
#include "probe/child.h"

namespace {

using gri::Status;
using gri::goelf::GoBinary;
using gri::goelf::RuntimeLayout;
using gri::snapshot::MemoryReader;
using gri::snapshot::ProcessMemory;
using gri::snapshot::PStatus;
using gri::snapshot::ReadOp;
using gri::snapshot::RuntimeSnapshot;
using gri::snapshot::SnapshotOptions;
using gri::snapshot::Snapshotter;
using namespace gri::test;
using namespace std::chrono_literals;

// A process image made of regions; before_read runs before every read, so a test can change
// memory between the reads of one take(), as the running target does.
class FakeMemory final : public MemoryReader {
 public:
  void map(uint64_t addr, size_t size) { regions_[addr].assign(size, 0); }

  template <typename T>
  void put(uint64_t addr, T value) {
    uint8_t* p = find(addr, sizeof(T));
    ASSERT_NE(p, nullptr) << "fake: nothing mapped at 0x" << std::hex << addr;
    std::memcpy(p, &value, sizeof(T));
  }

  Status read(uint64_t addr, std::span<uint8_t> out) override {
    ++calls_;
    if (before_read) before_read(addr, out.size());
    const uint8_t* p = find(addr, out.size());
    if (p == nullptr) {
      return gri::make_error("address 0x{:x} ({} bytes) is not mapped", addr, out.size());
    }
    std::memcpy(out.data(), p, out.size());
    return {};
  }
  uint64_t calls() const override { return calls_; }

  std::function<void(uint64_t addr, size_t size)> before_read;

 private:
  uint8_t* find(uint64_t addr, size_t size) {
    auto it = regions_.upper_bound(addr);
    if (it == regions_.begin()) return nullptr;
    --it;
    if (addr + size > it->first + it->second.size()) return nullptr;
    return it->second.data() + (addr - it->first);
  }
  std::map<uint64_t, std::vector<uint8_t>> regions_;
  uint64_t calls_ = 0;
};

struct Layout {
  std::string go_version;
  RuntimeLayout layout;
};

Layout layout_of(const std::string& path) {
  auto bin = GoBinary::open(path);
  EXPECT_TRUE(bin) << bin.error().message;
  if (!bin) return {};
  return {bin->build().go_version, gri::goelf::resolve_layout(*bin)};
}

uint64_t off(const RuntimeLayout& l, std::string_view key) {
  auto o = l.offset(key);
  EXPECT_TRUE(o) << key;
  return o.value_or(0);
}

// A fake target with `n` Ps (allp cap n + 1), laid out with the binary's own offsets, the
// globals at their link-time addresses plus `bias`.
struct FakeTarget {
  static constexpr uint64_t kPBase = 0xc000100000, kPStride = 0x4000;
  static constexpr uint64_t kAllpArray = 0xc000200000;

  FakeTarget(const RuntimeLayout& layout, int n, uint64_t bias = 0) : l(layout) {
    gomaxprocs = *layout.address("runtime.gomaxprocs") + bias;
    allp = *layout.address("runtime.allp") + bias;
    sched = *layout.address("runtime.sched") + bias;
    mem->map(gomaxprocs, 4);
    mem->map(allp, 24);
    mem->map(sched, off(l, "schedt.runqsize") + 64);
    mem->map(kAllpArray, 8 * 16);
    for (int i = 0; i < 16; ++i) {
      mem->map(p(i), off(l, "p.runnext") + 8);
      mem->put<int32_t>(p(i) + off(l, "p.id"), i);
    }
    set_procs(n);
  }
  uint64_t p(int i) const { return kPBase + uint64_t(i) * kPStride; }
  void set_procs(int n, uint64_t array = kAllpArray) {
    mem->put<int32_t>(gomaxprocs, n);
    mem->put<uint64_t>(allp, array);
    mem->put<uint64_t>(allp + 8, uint64_t(n));
    mem->put<uint64_t>(allp + 16, uint64_t(n + 1));
    for (int i = 0; i < n; ++i) mem->put<uint64_t>(kAllpArray + 8 * i, p(i));
  }
  void set_p(int i, uint32_t status, uint32_t head, uint32_t tail, uint64_t runnext) {
    mem->put<uint32_t>(p(i) + off(l, "p.status"), status);
    mem->put<uint32_t>(p(i) + off(l, "p.runqhead"), head);
    mem->put<uint32_t>(p(i) + off(l, "p.runqtail"), tail);
    mem->put<uint64_t>(p(i) + off(l, "p.runnext"), runnext);
  }
  void set_sched(int32_t runqsize, int32_t npidle, int32_t nmspinning) {
    mem->put<int32_t>(sched + off(l, "schedt.runqsize"), runqsize);
    mem->put<int32_t>(sched + off(l, "schedt.npidle"), npidle);
    mem->put<int32_t>(sched + off(l, "schedt.nmspinning"), nmspinning);
  }
  // Does a read of [addr, addr+size) cover this P's runqhead?
  bool covers_head(int i, uint64_t addr, size_t size) const {
    uint64_t h = p(i) + off(l, "p.runqhead");
    return addr <= h && h < addr + size;
  }
  Snapshotter snapshotter(SnapshotOptions options = {}, uint64_t bias = 0) {
    return Snapshotter::create(l, bias, std::move(owned), "PID 42 (/fake)", options);
  }

  const RuntimeLayout& l;
  std::unique_ptr<FakeMemory> owned = std::make_unique<FakeMemory>();
  FakeMemory* mem = owned.get();
  uint64_t gomaxprocs = 0, allp = 0, sched = 0;
};

class SnapshotFakeTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { bin_ = layout_of(probe_path(GetParam(), "gc")); }
  const RuntimeLayout& layout() const { return bin_.layout; }
  Layout bin_;
};

TEST_P(SnapshotFakeTest, DecodesPlantedValues) {
  FakeTarget t(layout(), 3);
  t.set_p(0, uint32_t(PStatus::kRunning), 1000, 1005, 0xc000001000);
  t.set_p(1, uint32_t(PStatus::kIdle), 77, 77, 0);
  // Wrapped around: tail - head in uint32 is 5 + 256 - 5 = 256, a full queue.
  t.set_p(2, uint32_t(PStatus::kGcStop), 0xffffff80u, 0x80u, 0);
  t.set_sched(17, 1, 2);
  t.mem->put<uint32_t>(t.p(1) + off(layout(), "p.schedtick"), 4242);
  Snapshotter s = t.snapshotter();
  ASSERT_TRUE(s.available()) << s.available().error().message;
  auto snap = s.take();
  ASSERT_TRUE(snap) << snap.error().message;
  EXPECT_EQ(snap->gomaxprocs, 3);
  EXPECT_EQ(snap->allp_array, FakeTarget::kAllpArray);
  EXPECT_EQ(snap->allp_len, 3u);
  EXPECT_EQ(snap->allp_cap, 4u);
  ASSERT_EQ(snap->ps.size(), 3u);
  EXPECT_EQ(snap->ps[0].addr, t.p(0));
  EXPECT_EQ(snap->ps[0].status, 1u);
  EXPECT_EQ(snap->ps[0].runqhead, 1000u);
  EXPECT_EQ(snap->ps[0].runqtail, 1005u);
  EXPECT_EQ(snap->ps[0].runq_len, 5u);
  EXPECT_TRUE(snap->ps[0].runnext);
  EXPECT_EQ(snap->ps[1].id, 1);
  EXPECT_EQ(snap->ps[1].status, 0u);
  EXPECT_EQ(snap->ps[1].runq_len, 0u);
  EXPECT_FALSE(snap->ps[1].runnext);
  EXPECT_EQ(snap->ps[1].schedtick, 4242u);
  EXPECT_EQ(snap->ps[2].id, 2);
  EXPECT_EQ(snap->ps[2].status, 3u);
  EXPECT_EQ(snap->ps[2].runq_len, 256u);
  EXPECT_EQ(snap->global_runq, 17);
  EXPECT_EQ(snap->npidle, 1);
  EXPECT_EQ(snap->nmspinning, 2);
  EXPECT_EQ(snap->torn, 0u);
  EXPECT_EQ(snap->p_retries, 0u);
  EXPECT_EQ(snap->allp_retries, 0u);
  EXPECT_EQ(snap->local_runnable(), 5u + 1 + 256);
  EXPECT_GT(snap->mono_ns, 0u);
}

TEST_P(SnapshotFakeTest, MergesFieldsIntoFewReads) {
  FakeTarget t(layout(), 3);
  Snapshotter s = t.snapshotter();
  auto snap = s.take();
  ASSERT_TRUE(snap) << snap.error().message;
  // The fake reads op by op: 1 gomaxprocs + 1 allp header + the sched range(s), 1 allp array,
  // per P its ranges, 1 allp header again. p.id/status are 8 bytes apart, runqhead/runqtail
  // adjacent, runnext 2 KiB away (after runq): 3 ranges; sched's fields fit in one range.
  EXPECT_EQ(snap->read_calls, 2u + 1 + 1 + 3 * 3 + 1);
}

TEST_P(SnapshotFakeTest, AppliesTheLoadBias) {
  const uint64_t bias = 0x555555554000;
  FakeTarget t(layout(), 2, bias);
  t.set_sched(4, 0, 0);
  Snapshotter s = t.snapshotter({}, bias);
  auto snap = s.take();
  ASSERT_TRUE(snap) << snap.error().message;
  EXPECT_EQ(snap->gomaxprocs, 2);
  EXPECT_EQ(snap->global_runq, 4);
}

TEST_P(SnapshotFakeTest, TornPIsReReadUntilConsistent) {
  FakeTarget t(layout(), 3);
  t.set_p(1, 1, 500, 503, 0);
  int head_reads = 0;
  t.mem->before_read = [&](uint64_t addr, size_t size) {
    if (!t.covers_head(1, addr, size)) return;
    // The first two reads catch head past tail (a stealer moved it between two copies).
    ++head_reads;
    t.mem->put<uint32_t>(t.p(1) + off(layout(), "p.runqhead"), head_reads <= 2 ? 504 : 500);
  };
  Snapshotter s = t.snapshotter();
  auto snap = s.take();
  ASSERT_TRUE(snap) << snap.error().message;
  EXPECT_EQ(head_reads, 3);
  EXPECT_EQ(snap->p_retries, 2u);
  EXPECT_EQ(snap->ps[1].retries, 2u);
  EXPECT_EQ(snap->torn, 0u);
  EXPECT_FALSE(snap->ps[1].torn);
  EXPECT_EQ(snap->ps[1].runq_len, 3u);
}

TEST_P(SnapshotFakeTest, PersistentlyTornPIsCounted) {
  FakeTarget t(layout(), 3);
  t.set_p(0, 1, 10, 12, 0);
  t.set_p(2, 1, 9, 8, 0);  // tail - head = 0xffffffff: never a real length
  Snapshotter s = t.snapshotter({.p_retries = 3, .allp_retries = 3});
  auto snap = s.take();
  ASSERT_TRUE(snap) << snap.error().message;
  EXPECT_EQ(snap->torn, 1u);
  EXPECT_TRUE(snap->ps[2].torn);
  EXPECT_FALSE(snap->ps[2].runq_len);
  EXPECT_EQ(snap->ps[2].retries, 3u);
  EXPECT_EQ(snap->p_retries, 3u);
  EXPECT_FALSE(snap->ps[0].torn);
  EXPECT_EQ(snap->ps[0].runq_len, 2u);
  EXPECT_EQ(snap->local_runnable(), 2u);

  FakeTarget t0(layout(), 3);
  t0.set_p(1, 1, 300, 0, 0);
  Snapshotter s0 = t0.snapshotter({.p_retries = 0, .allp_retries = 0});
  auto snap0 = s0.take();
  ASSERT_TRUE(snap0) << snap0.error().message;
  EXPECT_EQ(snap0->torn, 1u);
  EXPECT_EQ(snap0->p_retries, 0u);
}

TEST_P(SnapshotFakeTest, ChangingAllpHeaderIsRetried) {
  FakeTarget t(layout(), 3);
  int header_reads = 0;
  t.mem->before_read = [&](uint64_t addr, size_t) {
    if (addr != t.allp) return;
    // GOMAXPROCS goes 3 -> 2 between the first header read and its re-read.
    if (++header_reads == 2) t.set_procs(2);
  };
  Snapshotter s = t.snapshotter();
  auto snap = s.take();
  ASSERT_TRUE(snap) << snap.error().message;
  EXPECT_EQ(snap->allp_retries, 1u);
  EXPECT_EQ(header_reads, 4);
  EXPECT_EQ(snap->allp_len, 2u);
  EXPECT_EQ(snap->ps.size(), 2u);
  EXPECT_EQ(snap->gomaxprocs, 2);
}

TEST_P(SnapshotFakeTest, NilAllpEntryIsRetried) {
  FakeTarget t(layout(), 3);
  t.mem->put<uint64_t>(FakeTarget::kAllpArray + 16, 0);
  int array_reads = 0;
  t.mem->before_read = [&](uint64_t addr, size_t) {
    // procresize stores the new P right after (atomicstorep, go1.26 runtime/proc.go).
    if (addr == FakeTarget::kAllpArray && ++array_reads == 2) {
      t.mem->put<uint64_t>(FakeTarget::kAllpArray + 16, t.p(2));
    }
  };
  Snapshotter s = t.snapshotter();
  auto snap = s.take();
  ASSERT_TRUE(snap) << snap.error().message;
  EXPECT_EQ(snap->allp_retries, 1u);
  EXPECT_EQ(snap->ps.size(), 3u);
}

TEST_P(SnapshotFakeTest, AllpThatNeverSettlesFailsInOneLine) {
  FakeTarget t(layout(), 3);
  uint64_t cap = 4;
  t.mem->before_read = [&](uint64_t addr, size_t) {
    if (addr == t.allp) t.mem->put<uint64_t>(t.allp + 16, ++cap);
  };
  Snapshotter s = t.snapshotter({.p_retries = 3, .allp_retries = 2});
  auto snap = s.take();
  ASSERT_FALSE(snap);
  EXPECT_EQ(snap.error().message,
            "PID 42 (/fake): runtime.allp stayed inconsistent over 3 reads (last: the allp "
            "header changed from (array 0xc000200000, len 3, cap 9) to (array 0xc000200000, len "
            "3, cap 10)); is GOMAXPROCS being changed?");
}

TEST_P(SnapshotFakeTest, ImpossibleHeaderOrWrongPIsNotDecoded) {
  FakeTarget t(layout(), 3);
  t.mem->put<uint64_t>(t.allp + 8, 9);  // len 9 > cap 4
  Snapshotter s = t.snapshotter({.p_retries = 1, .allp_retries = 1});
  auto snap = s.take();
  ASSERT_FALSE(snap);
  EXPECT_NE(snap.error().message.find("impossible allp header (array 0xc000200000, len 9, cap 4)"),
            std::string::npos)
      << snap.error().message;

  FakeTarget w(layout(), 3);
  w.mem->put<uint64_t>(FakeTarget::kAllpArray + 8, w.p(5));  // allp[1] -> the P with id 5
  Snapshotter sw = w.snapshotter({.p_retries = 1, .allp_retries = 0});
  auto snapw = sw.take();
  ASSERT_FALSE(snapw);
  EXPECT_NE(snapw.error().message.find("allp[1] points to the P with id 5"), std::string::npos)
      << snapw.error().message;
}

TEST_P(SnapshotFakeTest, EmptyAllpBeforeSchedinitIsNoPs) {
  FakeTarget t(layout(), 0);
  t.mem->put<uint64_t>(t.allp, 0);
  t.mem->put<uint64_t>(t.allp + 16, 0);
  Snapshotter s = t.snapshotter();
  auto snap = s.take();
  ASSERT_TRUE(snap) << snap.error().message;
  EXPECT_TRUE(snap->ps.empty());
  EXPECT_EQ(snap->gomaxprocs, 0);
}

TEST_P(SnapshotFakeTest, UnmappedMemoryFailsInOneLine) {
  FakeTarget t(layout(), 3);
  t.mem->put<uint64_t>(FakeTarget::kAllpArray + 8, 0xdead0000);
  Snapshotter s = t.snapshotter();
  auto snap = s.take();
  ASSERT_FALSE(snap);
  // The first range of a P: p.id (+0), p.status (+4) and p.schedtick (+16, uint32), the same
  // offsets in go1.19, 1.26 and 1.27.
  EXPECT_EQ(snap.error().message,
            "PID 42 (/fake): reading the 3 Ps of runtime.allp: address 0xdead0000 (20 bytes) is "
            "not mapped");
}

TEST_P(SnapshotFakeTest, SamplesAtARateAndStops) {
  FakeTarget t(layout(), 3);
  Snapshotter s = t.snapshotter();
  int seen = 0;
  auto stats = s.sample(1000, 1h, {}, [&](const RuntimeSnapshot& snap) {
    EXPECT_EQ(snap.ps.size(), 3u);
    return ++seen < 5;
  });
  ASSERT_TRUE(stats) << stats.error().message;
  EXPECT_EQ(stats->samples, 5u);
  EXPECT_EQ(seen, 5);

  auto start = std::chrono::steady_clock::now();
  stats = s.sample(200, 100ms, {}, [](const RuntimeSnapshot&) { return true; });
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(stats) << stats.error().message;
  // 200 Hz for 100 ms: ticks at 0, 5, ..., 95 ms, taken or (on a loaded machine) late.
  EXPECT_EQ(stats->samples + stats->late, 20u);
  EXPECT_GE(stats->samples, 1u);
  EXPECT_GE(took, 95ms);
  EXPECT_LT(took, 1s);

  std::stop_source stop;
  std::thread stopper([&] {
    std::this_thread::sleep_for(50ms);
    stop.request_stop();
  });
  start = std::chrono::steady_clock::now();
  stats = s.sample(1, 1h, stop.get_token(), [](const RuntimeSnapshot&) { return true; });
  took = std::chrono::steady_clock::now() - start;
  stopper.join();
  ASSERT_TRUE(stats) << stats.error().message;
  EXPECT_EQ(stats->samples, 1u);  // the tick at 0; the next one (1 s) is cut by the stop
  EXPECT_LT(took, 500ms);

  auto bad = s.sample(0, 1s, {}, [](const RuntimeSnapshot&) { return true; });
  ASSERT_FALSE(bad);
  EXPECT_TRUE(bad.error().usage);
}

TEST_P(SnapshotFakeTest, LayoutAgreesWithTheRuntimeSources) {
  // runq [256]guintptr directly followed by runnext guintptr (runtime2.go, go1.19-1.27).
  EXPECT_EQ(off(layout(), "p.runnext") - off(layout(), "p.runq"),
            gri::snapshot::kLocalRunQueueCapacity * 8);
  EXPECT_EQ(off(layout(), "p.runqtail"), off(layout(), "p.runqhead") + 4);
  // sched.runqsize up to go1.24, sched.runq.size (gQueue) from go1.25.
  for (const auto& f : layout().fields) {
    if (f.key != "schedt.runqsize") continue;
    EXPECT_EQ(f.member, go_minor(GetParam()) < 25 ? "runqsize" : "runq.size");
  }
}

// A stripped binary of a release nothing was learned for (go1.99 here): no global address.
TEST_P(SnapshotFakeTest, StrippedBinaryFailsWithTheLayoutsReason) {
  auto bin = GoBinary::open(probe_path(GetParam(), "gc", "-stripped"));
  ASSERT_TRUE(bin) << bin.error().message;
  Layout stripped = {"go1.99.0", gri::goelf::resolve_layout(*bin, "go1.99.0")};
  auto mem = std::make_unique<FakeMemory>();
  FakeMemory* raw = mem.get();
  Snapshotter s = Snapshotter::create(stripped.layout, 0, std::move(mem), "PID 42 (/fake)");
  std::string reason;  // the layout's own words for a global it could not find
  for (const auto& g : stripped.layout.globals) {
    if (g.name == "runtime.allp") reason = g.reason;
  }
  EXPECT_NE(reason.find("no code references learned for go1.99"), std::string::npos) << reason;
  std::string want =
      "PID 42 (/fake): cannot snapshot the runtime state: runtime.gomaxprocs, runtime.allp, "
      "runtime.sched: " + reason;
  ASSERT_FALSE(s.available());
  // The offsets go1.99 has no table for follow, after "; ".
  EXPECT_TRUE(s.available().error().message.starts_with(want + "; p.id,"))
      << s.available().error().message;
  auto snap = s.take();
  ASSERT_FALSE(snap);
  EXPECT_EQ(snap.error().message, s.available().error().message);
  EXPECT_EQ(raw->calls(), 0u) << "nothing is read, nothing is guessed";
}

INSTANTIATE_TEST_SUITE_P(Toolchains, SnapshotFakeTest, ::testing::ValuesIn(go_labels()),
                         [](const auto& info) { return param_name(info.param); });

TEST(SnapshotStatus, NamesFollowRuntime2) {
  EXPECT_EQ(gri::snapshot::p_status_name(0), "idle");
  EXPECT_EQ(gri::snapshot::p_status_name(1), "running");
  EXPECT_EQ(gri::snapshot::p_status_name(2), "syscall");
  EXPECT_EQ(gri::snapshot::p_status_name(3), "gcstop");
  EXPECT_EQ(gri::snapshot::p_status_name(4), "dead");
  EXPECT_EQ(gri::snapshot::p_status_name(5), "unknown");
}

// process_vm_readv on ourselves and on processes that are gone.
TEST(SnapshotProcessMemory, ReadsManyRangesInOneCall) {
  uint64_t a = 0x1122334455667788, b = 42;
  uint8_t out_a[8], out_b[8];
  ProcessMemory mem(getpid());
  ReadOp ops[] = {{reinterpret_cast<uint64_t>(&a), out_a}, {reinterpret_cast<uint64_t>(&b), out_b}};
  ASSERT_TRUE(mem.read_many(ops));
  EXPECT_EQ(mem.calls(), 1u);
  EXPECT_EQ(std::memcmp(out_a, &a, 8), 0);
  EXPECT_EQ(std::memcmp(out_b, &b, 8), 0);
}

TEST(SnapshotProcessMemory, UnmappedAddressIsNamed) {
  uint64_t a = 7;
  uint8_t out_a[8], out_b[16];
  ProcessMemory mem(getpid());
  ReadOp ops[] = {{reinterpret_cast<uint64_t>(&a), out_a}, {0x1000, out_b}};
  Status st = mem.read_many(ops);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message,
            fmt::format("address 0x1000 (16 bytes) is not mapped in PID {} (EFAULT)", getpid()));
}

TEST(SnapshotProcessMemory, ExitedProcessIsGone) {
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) _exit(0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ProcessMemory mem(pid);
  uint8_t out[8];
  Status st = mem.read(0x400000, out);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message,
            fmt::format("PID {} is gone: no such process (ESRCH from process_vm_readv)", pid));
  auto s = Snapshotter::open(pid);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message, fmt::format("no process with PID {}", pid));
}

// Live: the gc workload of every toolchain, plain and PIE, with GOMAXPROCS=3.
class SnapshotLiveTest : public ::testing::TestWithParam<ProbeBinary> {};

gri::Result<gri::probe::HeldChild> start_gc(const std::string& path) {
  auto child = gri::probe::HeldChild::spawn(
      {{path, "-n", "100000000", "-round", "1"}, {"GOMAXPROCS=3"}, "/dev/null", ""});
  if (!child) return child.error();
  if (auto st = child->release(); !st) return st.error();
  return child;
}

// Waits until the runtime has made its Ps (schedinit's procresize).
gri::Result<RuntimeSnapshot> first_snapshot(Snapshotter& s) {
  for (int i = 0;; ++i) {
    auto snap = s.take();
    if (!snap) return snap;
    if (snap->allp_len == 3 || i == 500) return snap;
    std::this_thread::sleep_for(10ms);
  }
}

TEST_P(SnapshotLiveTest, ThreePsWithValidStates) {
  auto child = start_gc(GetParam().path("gc"));
  ASSERT_TRUE(child) << child.error().message;
  auto s = Snapshotter::open(child->pid());
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->go_version().substr(0, 7), GetParam().label + ".");
  if (GetParam().variant == "-pie") {
    EXPECT_GT(s->load_bias(), 0u);
  } else {
    EXPECT_EQ(s->load_bias(), 0u);
  }
  auto first = first_snapshot(*s);
  if (!first && first.error().message.find("not permitted") != std::string::npos) {
    GTEST_SKIP() << "skipped: cannot read our own child here: " << first.error().message;
  }
  ASSERT_TRUE(first) << first.error().message;

  const int kTakes = 2000;
  std::set<uint32_t> statuses;
  uint64_t torn = 0;
  std::vector<uint64_t> read_ns;
  for (int n = 0; n < kTakes; ++n) {
    auto snap = s->take();
    ASSERT_TRUE(snap) << snap.error().message;
    EXPECT_EQ(snap->gomaxprocs, 3);
    ASSERT_EQ(snap->allp_len, 3u);
    ASSERT_EQ(snap->ps.size(), 3u);
    for (size_t i = 0; i < 3; ++i) {
      const auto& p = snap->ps[i];
      EXPECT_EQ(p.id, int32_t(i));
      EXPECT_LE(p.status, gri::snapshot::kMaxPStatus);
      EXPECT_NE(p.status, uint32_t(PStatus::kDead)) << "GOMAXPROCS never shrank";
      if (GetParam().minor() >= 26) {
        EXPECT_NE(p.status, uint32_t(PStatus::kSyscall)) << "_Psyscall_unused since go1.26";
      }
      if (!p.torn) {
        EXPECT_LE(*p.runq_len, 256u);
      }
      statuses.insert(p.status);
    }
    EXPECT_GE(snap->npidle, 0);
    EXPECT_LE(snap->npidle, 3);
    EXPECT_GE(snap->nmspinning, 0);
    EXPECT_GE(snap->global_runq, 0);
    // Three process_vm_readv calls when nothing had to be re-read.
    if (snap->p_retries == 0 && snap->allp_retries == 0) {
      EXPECT_EQ(snap->read_calls, 3u);
    }
    torn += snap->torn;
    read_ns.push_back(snap->read_ns);
  }
  // The workload's goroutine is busy (allocating and calling runtime.GC): some P runs. The
  // 2000 takes span about 8 ms, which a loaded machine can give to other processes whole
  // (seen once: only idle Ps on go1.26 PIE while two builds ran), so look a while longer.
  auto until = std::chrono::steady_clock::now() + 2s;
  while (!statuses.count(uint32_t(PStatus::kRunning)) && std::chrono::steady_clock::now() < until) {
    auto more = s->take();
    ASSERT_TRUE(more) << more.error().message;
    for (const auto& p : more->ps) statuses.insert(p.status);
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_TRUE(statuses.count(uint32_t(PStatus::kRunning))) << "no P seen running";
  std::sort(read_ns.begin(), read_ns.end());
  std::cout << "[ cost     ] " << GetParam().label << GetParam().variant << ": one take() "
            << read_ns[kTakes / 2] / 1000.0 << " us median, " << read_ns[kTakes * 99 / 100] / 1000.0
            << " us p99 over " << kTakes << " takes, " << torn << " torn P samples; P states seen:";
  for (uint32_t st : statuses) std::cout << " " << gri::snapshot::p_status_name(st);
  std::cout << "\n";
}

TEST_P(SnapshotLiveTest, SampleAtARate) {
  auto child = start_gc(GetParam().path("gc"));
  ASSERT_TRUE(child) << child.error().message;
  auto s = Snapshotter::open(child->pid());
  ASSERT_TRUE(s) << s.error().message;
  auto first = first_snapshot(*s);
  if (!first && first.error().message.find("not permitted") != std::string::npos) {
    GTEST_SKIP() << "skipped: cannot read our own child here: " << first.error().message;
  }
  ASSERT_TRUE(first) << first.error().message;
  uint64_t seen = 0;
  auto stats = s->sample(100, 200ms, {}, [&](const RuntimeSnapshot& snap) {
    EXPECT_EQ(snap.ps.size(), 3u);
    ++seen;
    return true;
  });
  ASSERT_TRUE(stats) << stats.error().message;
  EXPECT_EQ(stats->samples, seen);
  EXPECT_EQ(stats->samples + stats->late, 20u);  // 100 Hz for 200 ms
  EXPECT_GE(stats->samples, 1u);
}

TEST_P(SnapshotLiveTest, ExitedTargetFailsInOneLine) {
  auto child = start_gc(GetParam().path("gc"));
  ASSERT_TRUE(child) << child.error().message;
  auto s = Snapshotter::open(child->pid());
  ASSERT_TRUE(s) << s.error().message;
  pid_t pid = child->pid();
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  auto status = child->wait(10s);
  ASSERT_TRUE(status) << status.error().message;
  auto snap = s->take();
  ASSERT_FALSE(snap);
  EXPECT_NE(snap.error().message.find(
                fmt::format("PID {} is gone: no such process (ESRCH from process_vm_readv)", pid)),
            std::string::npos)
      << snap.error().message;
  EXPECT_EQ(snap.error().message.find('\n'), std::string::npos);
}

// Stripped: the globals found from code (goelf/globals.h), the offsets from the table.
INSTANTIATE_TEST_SUITE_P(Toolchains, SnapshotLiveTest,
                         ::testing::ValuesIn(probe_binaries({"", "-pie", "-stripped"})),
                         [](const auto& info) {
                           return param_name(info.param.label + info.param.variant);
                         });


}  // namespace
