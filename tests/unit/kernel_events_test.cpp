// The kernel-event helpers' logic that needs no kernel: CPU lists, tracepoint ids from a
// fake tracefs, which perf_event_open errors mean "no such counter", ring-buffer sizes,
// and that every attach helper refuses a missing program or map with a clear error.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>

#include "go_probes.h"
#include "probe/kernel_events.h"

namespace {

using namespace gri::probe;

TEST(KernelEvents, ParsesCpuLists) {
  EXPECT_EQ(*parse_cpu_list("0-1\n"), (std::vector<int>{0, 1}));
  EXPECT_EQ(*parse_cpu_list("0"), (std::vector<int>{0}));
  EXPECT_EQ(*parse_cpu_list("0,2-3,7\n"), (std::vector<int>{0, 2, 3, 7}));
  for (const char* bad : {"", "\n", "a", "3-1", "0-", "0,,1", "1-2x", "-1"}) {
    EXPECT_FALSE(parse_cpu_list(bad)) << "'" << bad << "'";
  }
}

TEST(KernelEvents, OnlineCpusAreThisMachines) {
  auto cpus = online_cpus();
  ASSERT_TRUE(cpus) << cpus.error().message;
  EXPECT_EQ(static_cast<long>(cpus->size()), sysconf(_SC_NPROCESSORS_ONLN));
}

void write(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << text;
}

TEST(KernelEvents, ReadsTracepointIdsFromTheFirstTracefsThatHasThem) {
  gri::test::TempDir a, b;
  write(b.path() + "/events/sched/sched_switch/id", "316\n");
  write(a.path() + "/events/signal/signal_generate/id", "188\n");
  auto id = read_tracepoint_id("sched", "sched_switch", {a.path(), b.path()});
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ(*id, 316u);
  EXPECT_EQ(*read_tracepoint_id("signal", "signal_generate", {a.path(), b.path()}), 188u);

  write(a.path() + "/events/sched/sched_wakeup/id", "garbage");
  auto bad = read_tracepoint_id("sched", "sched_wakeup", {a.path()});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("not a number"), std::string::npos) << bad.error().message;
}

TEST(KernelEvents, MissingTracefsIsAClearOneLineError) {
  gri::test::TempDir empty;
  auto id = read_tracepoint_id("sched", "sched_switch", {empty.path(), empty.path() + "/debug"});
  ASSERT_FALSE(id);
  const std::string& m = id.error().message;
  EXPECT_NE(m.find("tracepoint sched:sched_switch"), std::string::npos) << m;
  EXPECT_NE(m.find(empty.path() + "/events/sched/sched_switch/id"), std::string::npos) << m;
  EXPECT_NE(m.find(empty.path() + "/debug/events/sched/sched_switch/id"), std::string::npos) << m;
  EXPECT_NE(m.find("No such file or directory"), std::string::npos) << m;
  EXPECT_NE(m.find("mount -t tracefs"), std::string::npos) << m;
  EXPECT_EQ(m.find('\n'), std::string::npos);
}

TEST(KernelEvents, NoPmuMeansUnavailableNotAnError) {
  auto none = hw_unavailable_reason(HwCounter::kCycles, ENOENT);
  ASSERT_TRUE(none);
  EXPECT_EQ(none->rfind("unavailable: ", 0), 0u) << *none;
  EXPECT_NE(none->find("cycles"), std::string::npos);
  auto unsupported = hw_unavailable_reason(HwCounter::kCacheMisses, EOPNOTSUPP);
  ASSERT_TRUE(unsupported);
  EXPECT_NE(unsupported->find("cache-misses"), std::string::npos);
  EXPECT_TRUE(hw_unavailable_reason(HwCounter::kInstructions, EINVAL));
  // Refusals and resource limits are failures to report, not a missing PMU.
  for (int err : {EACCES, EPERM, EMFILE, EBUSY}) {
    EXPECT_FALSE(hw_unavailable_reason(HwCounter::kCycles, err)) << strerror(err);
  }
}

TEST(KernelEvents, HardwareCountersCountUserSpaceWithoutSampling) {
  const std::pair<HwCounter, uint64_t> want[] = {
      {HwCounter::kCycles, PERF_COUNT_HW_CPU_CYCLES},
      {HwCounter::kInstructions, PERF_COUNT_HW_INSTRUCTIONS},
      {HwCounter::kCacheMisses, PERF_COUNT_HW_CACHE_MISSES}};
  for (auto [counter, config] : want) {
    perf_event_attr a = hw_counter_attr(counter);
    EXPECT_EQ(a.type, PERF_TYPE_HARDWARE);
    EXPECT_EQ(a.config, config) << hw_counter_name(counter);
    EXPECT_EQ(a.size, sizeof(perf_event_attr));
    EXPECT_EQ(a.sample_period, 0u) << "counting, read by BPF; never sampling";
    EXPECT_EQ(a.freq, 0u);
    EXPECT_EQ(a.disabled, 0u) << "counts from the moment it is opened";
    EXPECT_EQ(a.exclude_kernel, 1u);
  }
  EXPECT_EQ(hw_counter_name(HwCounter::kCacheMisses), "cache-misses");
}

TEST(KernelEvents, RingBufferRecordsTakeAHeaderRoundedToEightBytes) {
  // BPF_RINGBUF_HDR_SZ is 8 and records are 8-byte aligned (kernel/bpf/ringbuf.c).
  EXPECT_EQ(ringbuf_record_bytes(256), 264u);
  EXPECT_EQ(ringbuf_record_bytes(1), 16u);
  EXPECT_EQ(ringbuf_record_bytes(8), 16u);
  EXPECT_EQ(ringbuf_records_that_fit(4096, 256), 15u);  // 15 x 264 = 3960; a 16th: 4224
  EXPECT_EQ(ringbuf_records_that_fit(4096, 248), 16u);  // exactly full
  EXPECT_EQ(ringbuf_records_that_fit(65536, 256), 248u);
}

TEST(KernelEvents, HelpersRefuseAMissingProgramOrMap) {
  auto tp = attach_tracepoint(nullptr, "sched", "sched_switch");
  ASSERT_FALSE(tp);
  EXPECT_NE(tp.error().message.find("no BPF program"), std::string::npos);
  EXPECT_FALSE(attach_cpu_clock_sampling(nullptr, 999));
  auto hw = open_hw_counter(HwCounter::kCycles, nullptr);
  ASSERT_FALSE(hw);
  EXPECT_NE(hw.error().message.find("not a perf event array"), std::string::npos);
  EXPECT_FALSE(open_ring_buffer(nullptr, nullptr, nullptr));
}

TEST(KernelEvents, ScopedFdClosesWhatItOwns) {
  int raw = open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(raw, 0);
  {
    ScopedFd fd(raw);
    ScopedFd moved(std::move(fd));
    EXPECT_FALSE(fd);
    EXPECT_EQ(moved.get(), raw);
    EXPECT_NE(fcntl(raw, F_GETFD), -1);
  }
  EXPECT_EQ(fcntl(raw, F_GETFD), -1) << "closed when its owner went";
  ScopedFd released(open("/dev/null", O_RDONLY | O_CLOEXEC));
  int kept = released.release();
  released = ScopedFd();
  EXPECT_NE(fcntl(kept, F_GETFD), -1);
  close(kept);
}

}  // namespace
