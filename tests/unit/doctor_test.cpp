// gri doctor's verdicts on a fake machine.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "doctor/doctor.h"

namespace {

using namespace gri::doctor;

class FakeSystem : public System {
 public:
  uid_t uid = 0;
  uint64_t caps = 0;
  std::string release = "6.18.44-fc-v669";
  std::map<std::string, std::string> files = {
      {"/sys/kernel/btf/vmlinux", "btf"},
      {"/sys/bus/event_source/devices/uprobe/type", "9\n"},
      {"/proc/sys/kernel/perf_event_paranoid", "2\n"},
      {"/sys/fs/cgroup/memory/memory.limit_in_bytes", "9223372036854771712\n"},
  };
  std::optional<std::string> tracefs = "/sys/kernel/tracing";
  bool mount_ok = true;
  int mounts = 0;
  int hw_errno = ENOENT;
  bool bpf_ok = true;
  uint64_t selftest_hits = 2000;
  // The self-tests' numbers as this VM gives them (gri doctor, Linux 6.18, 2 vCPUs).
  gri::probe::HwSelftestResult hw = {{{gri::probe::HwCounter::kCycles, "unavailable: no PMU"},
                                      {gri::probe::HwCounter::kInstructions, "unavailable: no"},
                                      {gri::probe::HwCounter::kCacheMisses, "unavailable: no"}}};
  gri::probe::TracepointSelftestResult tp = [] {
    gri::probe::TracepointSelftestResult r;
    r.rounds = 20;
    r.signal = 23;
    r.switch_out = 23;
    r.switch_in = 23;
    r.switch_other = 44;
    r.wakeup = 21;
    r.wakeup_other = 22;
    r.signal_ours = 20;
    r.signal_other = 20;
    r.signal_sent = 40;
    r.classic_switch_out = 23;
    r.own_tid = 4242;
    r.own_tid_events = 67;
    return r;
  }();
  gri::probe::SamplingSelftestResult sampling = [] {
    gri::probe::SamplingSelftestResult r;
    r.frequency_hz = 999;
    r.spin_ms = 200;
    r.cpu_ms = 200.4;
    r.wall_ms = 380.0;
    r.cpus = 2;
    r.expected = 200;
    r.samples = 200;
    r.samples_user_stack = 200;
    r.user_frames = 460;
    r.samples_other = 467;
    return r;
  }();
  gri::probe::RingbufSelftestResult ring = [] {
    gri::probe::RingbufSelftestResult r;
    r.ring_bytes = 4096;
    r.record_bytes = 264;
    r.fit = 15;
    r.submitted = 100;
    r.reserved = 15;
    r.lost = 85;
    r.consumed = 15;
    r.in_order = true;
    return r;
  }();
  bool tp_fails = false;
  mutable int bpf_selftests = 0;  // self-tests run: each loads BPF programs
  std::vector<GoToolchain> toolchains = {{"go1.19.8", "/usr/lib/go-1.19/bin/go"},
                                         {"go1.26.8", "/usr/local/go/bin/go"}};

  uid_t euid() const override { return uid; }
  uint64_t effective_caps() const override { return caps; }
  std::string kernel_release() const override { return release; }
  std::optional<std::string> read_file(const std::string& path) const override {
    auto it = files.find(path);
    if (it == files.end()) return std::nullopt;
    return it->second;
  }
  bool exists(const std::string& path) const override { return files.count(path) > 0; }
  std::optional<std::string> tracefs_mount() const override { return tracefs; }
  gri::Status mount_tracefs(const std::string& where) override {
    mounts++;
    if (!mount_ok) return gri::make_error("mount tracefs on {}: Operation not permitted", where);
    tracefs = where;
    return {};
  }
  int open_hw_cycles() const override { return hw_errno; }
  gri::Status load_trivial_bpf() const override {
    if (bpf_ok) return {};
    return gri::make_error("cannot load a trivial BPF program: Operation not permitted");
  }
  gri::Result<gri::probe::SelftestResult> uprobe_selftest() const override {
    bpf_selftests++;
    return gri::probe::SelftestResult{2000, selftest_hits, 9800.0, 2000, 400.0};
  }
  gri::Result<gri::probe::HwSelftestResult> hw_counter_selftest() const override {
    bpf_selftests++;
    if (!bpf_ok) return gri::make_error("cannot load the hardware counter self-test: EPERM");
    return hw;
  }
  gri::Result<gri::probe::TracepointSelftestResult> tracepoint_selftest() const override {
    bpf_selftests++;
    if (tp_fails) {
      return gri::make_error(
          "cannot attach selftest_switch to tracepoint sched:sched_switch: Permission denied");
    }
    return tp;
  }
  gri::Result<gri::probe::SamplingSelftestResult> sampling_selftest() const override {
    bpf_selftests++;
    return sampling;
  }
  gri::Result<gri::probe::RingbufSelftestResult> ringbuf_selftest() const override {
    bpf_selftests++;
    return ring;
  }
  std::vector<GoToolchain> go_toolchains() const override { return toolchains; }
};

// By value: callers pass run_checks(...) temporaries too.
Check find(const std::vector<Check>& checks, const std::string& name) {
  for (const Check& c : checks) {
    if (c.name == name) return c;
  }
  ADD_FAILURE() << "no check named " << name;
  return {"none", Verdict::kFail, "", ""};
}


TEST(Doctor, ThisKindOfMachineCanTraceAndWarnsAboutThePmu) {
  FakeSystem sys;
  auto checks = run_checks(sys);
  ASSERT_EQ(checks.size(), 15u);
  EXPECT_TRUE(can_trace(checks));
  EXPECT_EQ(find(checks, "hw-pmu").verdict, Verdict::kWarn);
  EXPECT_NE(find(checks, "hw-pmu").detail.find("unavailable"), std::string::npos);
  for (const Check& c : checks) {
    if (c.name != "hw-pmu") {
      EXPECT_EQ(c.verdict, Verdict::kPass) << c.name << ": " << c.detail;
    }
  }
  EXPECT_NE(find(checks, "uprobe").detail.find("9.8 us"), std::string::npos);
  EXPECT_NE(find(checks, "go-toolchains").detail.find("go1.19.8, go1.26.8"), std::string::npos);
  EXPECT_EQ(checks.back().name, "ringbuf");
  EXPECT_NE(find(checks, "ringbuf").detail.find("15 reserved, 85 lost"), std::string::npos);
  EXPECT_NE(find(checks, "perf-sampling").detail.find("200 samples"), std::string::npos);
  EXPECT_NE(find(checks, "tracepoints").detail.find("20/20 signals of ours"), std::string::npos);
}

TEST(Doctor, UnprivilegedFailsWithoutTouchingBpf) {
  FakeSystem sys;
  sys.uid = 1000;
  EXPECT_FALSE(privileged(sys));
  auto checks = run_checks(sys);
  EXPECT_FALSE(can_trace(checks));
  EXPECT_EQ(checks.front().name, "privileges");
  EXPECT_EQ(checks.front().verdict, Verdict::kFail);
  EXPECT_NE(checks.front().fix.find("sudo"), std::string::npos);
  for (const Check& c : checks) {
    for (const char* bpf : {"bpf-load", "uprobe", "tracepoints", "perf-sampling", "ringbuf"}) {
      EXPECT_NE(c.name, bpf);
    }
  }
  EXPECT_EQ(sys.bpf_selftests, 0) << "an unprivileged run must not load BPF programs";
  EXPECT_EQ(sys.mounts, 0) << "an unprivileged run must not try to mount tracefs";
}

TEST(Doctor, CapabilitiesInsteadOfRoot) {
  FakeSystem sys;
  sys.uid = 1000;
  sys.caps = (1ull << kCapBpf) | (1ull << kCapPerfmon);
  EXPECT_TRUE(privileged(sys));
  sys.caps = 1ull << kCapBpf;
  EXPECT_FALSE(privileged(sys)) << "CAP_BPF alone cannot open perf events";
  sys.caps = 1ull << kCapSysAdmin;
  EXPECT_TRUE(privileged(sys));
}

TEST(Doctor, OldKernelFails) {
  FakeSystem sys;
  sys.release = "5.4.0-150-generic";
  auto checks = run_checks(sys);
  EXPECT_EQ(find(checks, "kernel").verdict, Verdict::kFail);
  EXPECT_FALSE(can_trace(checks));
}

TEST(Doctor, NoBtfFails) {
  FakeSystem sys;
  sys.files.erase("/sys/kernel/btf/vmlinux");
  EXPECT_FALSE(can_trace(run_checks(sys)));
}

TEST(Doctor, LockdownConfidentialityFailsIntegrityPasses) {
  FakeSystem sys;
  sys.files["/sys/kernel/security/lockdown"] = "none integrity [confidentiality]\n";
  EXPECT_EQ(find(run_checks(sys), "lockdown").verdict, Verdict::kFail);
  sys.files["/sys/kernel/security/lockdown"] = "none [integrity] confidentiality\n";
  EXPECT_EQ(find(run_checks(sys), "lockdown").verdict, Verdict::kPass);
}

TEST(Doctor, MountsTracefsWhenAbsent) {
  FakeSystem sys;
  sys.tracefs.reset();
  auto checks = run_checks(sys);
  EXPECT_EQ(sys.mounts, 1);
  EXPECT_EQ(find(checks, "tracefs").verdict, Verdict::kPass);
  EXPECT_NE(find(checks, "tracefs").detail.find("mounted it at /sys/kernel/tracing"),
            std::string::npos);

  FakeSystem refused;
  refused.tracefs.reset();
  refused.mount_ok = false;

  Check c = find(run_checks(refused), "tracefs");
  EXPECT_EQ(c.verdict, Verdict::kWarn);
  EXPECT_NE(c.fix.find("mount -t tracefs"), std::string::npos);
}

TEST(Doctor, BpfThatDoesNotLoadFailsAndSkipsTheUprobeCheck) {
  FakeSystem sys;
  sys.bpf_ok = false;
  auto checks = run_checks(sys);
  EXPECT_EQ(find(checks, "bpf-load").verdict, Verdict::kFail);
  EXPECT_EQ(checks.back().name, "bpf-load");
  EXPECT_FALSE(can_trace(checks));
  EXPECT_EQ(sys.bpf_selftests, 1) << "only hw-pmu's counter helper runs (and fails on its own)";
  EXPECT_EQ(find(checks, "hw-pmu").verdict, Verdict::kWarn) << "no PMU and no BPF: not its fail";
}

TEST(Doctor, LostUprobeHitsFail) {
  FakeSystem sys;
  sys.selftest_hits = 1999;
  EXPECT_EQ(find(run_checks(sys), "uprobe").verdict, Verdict::kFail);
}

TEST(Doctor, HwCounterHelperMustAgreeWithPerfEventOpen) {
  FakeSystem vm;  // no PMU: both say so
  EXPECT_EQ(find(run_checks(vm), "hw-pmu").verdict, Verdict::kWarn);

  FakeSystem pmu;  // a PMU the helper does not see
  pmu.hw_errno = 0;
  Check c = find(run_checks(pmu), "hw-pmu");
  EXPECT_EQ(c.verdict, Verdict::kFail);
  EXPECT_NE(c.detail.find("says unavailable: no PMU"), std::string::npos) << c.detail;

  for (auto& r : pmu.hw.counters) {  // the helper sees it too, and BPF reads it
    r.unavailable.clear();
    r.value = 123456;
    r.enabled_ns = r.running_ns = 1000;
  }
  c = find(run_checks(pmu), "hw-pmu");
  EXPECT_EQ(c.verdict, Verdict::kPass) << c.detail;
  EXPECT_NE(c.detail.find("cycles 123456, instructions 123456, cache-misses 123456"),
            std::string::npos)
      << c.detail;

  pmu.hw.counters[2].unavailable = "unavailable: the PMU does not count cache-misses";
  c = find(run_checks(pmu), "hw-pmu");
  EXPECT_EQ(c.verdict, Verdict::kWarn);
  EXPECT_NE(c.detail.find("cache-misses unavailable"), std::string::npos) << c.detail;

  pmu.hw.counters[1].err = -EINVAL;  // opened, but BPF cannot read it
  EXPECT_EQ(find(run_checks(pmu), "hw-pmu").verdict, Verdict::kFail);

  FakeSystem phantom = vm;  // the helper claims a counter perf_event_open cannot open
  phantom.hw.counters[0].unavailable.clear();
  EXPECT_EQ(find(run_checks(phantom), "hw-pmu").verdict, Verdict::kFail);

  FakeSystem unprivileged;
  unprivileged.uid = 1000;
  EXPECT_EQ(find(run_checks(unprivileged), "hw-pmu").verdict, Verdict::kWarn);
  EXPECT_EQ(unprivileged.bpf_selftests, 0);
}

TEST(Doctor, TracepointFilterThatKeepsOthersOrMissesOursFails) {
  auto verdict = [](auto change) {
    FakeSystem sys;
    change(sys.tp);
    return find(run_checks(sys), "tracepoints");
  };
  using R = gri::probe::TracepointSelftestResult;
  EXPECT_EQ(verdict([](R&) {}).verdict, Verdict::kPass);
  Check c = verdict([](R& r) { r.foreign_tids = {777}; });
  EXPECT_EQ(c.verdict, Verdict::kFail);
  EXPECT_NE(c.detail.find("not ours: 777"), std::string::npos) << c.detail;
  EXPECT_EQ(verdict([](R& r) { r.switch_out = 19; }).verdict, Verdict::kFail);
  EXPECT_EQ(verdict([](R& r) { r.wakeup = 0; }).verdict, Verdict::kFail);
  EXPECT_EQ(verdict([](R& r) { r.own_tid_events = 0; }).verdict, Verdict::kFail);
  // The filter must have seen the bystander's events to have dropped them.
  EXPECT_EQ(verdict([](R& r) { r.switch_other = 0; }).verdict, Verdict::kFail);
  EXPECT_EQ(verdict([](R& r) { r.wakeup_other = 3; }).verdict, Verdict::kFail);
  // Signals are exact: what a sender filter would count (ours + the bystander's) is wrong.
  EXPECT_EQ(verdict([](R& r) { r.signal_ours = 40; }).verdict, Verdict::kFail);
  EXPECT_EQ(verdict([](R& r) { r.signal_other = 19; }).verdict, Verdict::kFail);
  EXPECT_EQ(verdict([](R& r) { r.switch_prev_not_current = 1; }).verdict, Verdict::kFail);
  EXPECT_EQ(verdict([](R& r) { r.classic_prev_not_current = 1; }).verdict, Verdict::kFail);
  EXPECT_EQ(verdict([](R& r) { r.classic_switch_out = 2; }).verdict, Verdict::kFail);

  c = verdict([](R& r) {
    r.classic_unavailable = "cannot read the id of tracepoint sched:sched_switch";
    r.classic_switch_out = 0;
  });
  EXPECT_EQ(c.verdict, Verdict::kWarn) << "BTF tracepoints work without tracefs";
  EXPECT_NE(c.fix.find("mount -t tracefs"), std::string::npos);

  FakeSystem broken;  // a self-test that cannot run fails, with the runner's message
  broken.tp_fails = true;
  c = find(run_checks(broken), "tracepoints");
  EXPECT_EQ(c.verdict, Verdict::kFail);
  EXPECT_NE(c.detail.find("sched:sched_switch: Permission denied"), std::string::npos);
  EXPECT_FALSE(can_trace(run_checks(broken)));
}

TEST(Doctor, PerfSamplingNeedsAboutFrequencyTimesCpuTimeWithStacks) {
  auto check = [](uint64_t samples, uint64_t with_stack) {
    FakeSystem sys;
    sys.sampling.samples = samples;
    sys.sampling.samples_user_stack = with_stack;
    return find(run_checks(sys), "perf-sampling");
  };
  EXPECT_EQ(check(200, 200).verdict, Verdict::kPass);
  EXPECT_EQ(check(100, 100).verdict, Verdict::kPass);
  EXPECT_EQ(check(300, 300).verdict, Verdict::kPass);
  Check c = check(99, 99);
  EXPECT_EQ(c.verdict, Verdict::kFail);
  EXPECT_NE(c.detail.find("expected 100-300"), std::string::npos) << c.detail;
  EXPECT_EQ(check(301, 301).verdict, Verdict::kFail);
  c = check(200, 150);
  EXPECT_EQ(c.verdict, Verdict::kFail);
  EXPECT_NE(c.detail.find("50 of 200 samples had no user stack"), std::string::npos) << c.detail;

  FakeSystem starved;  // no CPU time, no samples: 0 of 0 expected must not pass
  starved.sampling.cpu_ms = 0;
  starved.sampling.wall_ms = 4000;
  starved.sampling.expected = starved.sampling.samples = starved.sampling.samples_user_stack = 0;
  c = find(run_checks(starved), "perf-sampling");
  EXPECT_EQ(c.verdict, Verdict::kFail);
  EXPECT_NE(c.detail.find("got 0 ms of CPU in 4000 ms"), std::string::npos) << c.detail;
}

TEST(Doctor, RingbufMustCountEveryLostRecord) {
  auto check = [](auto change) {
    FakeSystem sys;
    change(sys.ring);
    return find(run_checks(sys), "ringbuf");
  };
  using R = gri::probe::RingbufSelftestResult;
  EXPECT_EQ(check([](R&) {}).verdict, Verdict::kPass);
  Check c = check([](R& r) { r.lost = 84; });
  EXPECT_EQ(c.verdict, Verdict::kFail);
  EXPECT_NE(c.detail.find("reserved + lost != submitted"), std::string::npos) << c.detail;
  c = check([](R& r) {
    r.reserved = 100;
    r.lost = 0;
    r.consumed = 100;
  });
  EXPECT_EQ(c.verdict, Verdict::kFail) << "a ring that never overflowed tests nothing";
  EXPECT_EQ(check([](R& r) { r.consumed = 14; }).verdict, Verdict::kFail);
  EXPECT_EQ(check([](R& r) { r.in_order = false; }).verdict, Verdict::kFail);
}

TEST(Doctor, NoGoToolchainOnlyWarns) {
  FakeSystem sys;
  sys.toolchains.clear();
  auto checks = run_checks(sys);
  EXPECT_EQ(find(checks, "go-toolchains").verdict, Verdict::kWarn);
  EXPECT_TRUE(can_trace(checks));
}

TEST(Doctor, TextIsOneLinePerCheckPlusVerdict) {
  FakeSystem sys;
  auto checks = run_checks(sys);
  std::string text = render_text(checks);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), static_cast<long>(checks.size()) + 1);
  EXPECT_NE(text.find("warn  hw-pmu"), std::string::npos) << text;
  EXPECT_NE(text.find("; fix: "), std::string::npos) << text;
  EXPECT_NE(text.find("gri can trace on this machine"), std::string::npos);
}

TEST(Doctor, JsonHasOneObjectPerCheck) {
  FakeSystem sys;
  auto checks = run_checks(sys);
  auto j = nlohmann::json::parse(to_json(checks).dump());
  EXPECT_EQ(j["schema"], "gri.doctor/1");
  EXPECT_EQ(j["ok"], true);
  ASSERT_EQ(j["checks"].size(), checks.size());
  for (const auto& c : j["checks"]) {
    for (const char* key : {"name", "status", "detail", "fix"}) EXPECT_TRUE(c.contains(key));
    EXPECT_TRUE(c["status"] == "pass" || c["status"] == "warn" || c["status"] == "fail");
  }
}

TEST(Doctor, ParsesKernelReleaseAndLockdown) {
  EXPECT_EQ(parse_kernel_version("6.18.44-fc-v669"), (std::pair{6, 18}));
  EXPECT_EQ(parse_kernel_version("5.8.0"), (std::pair{5, 8}));
  EXPECT_FALSE(parse_kernel_version("linux"));
  EXPECT_EQ(parse_lockdown("[none] integrity confidentiality"), "none");
  EXPECT_EQ(parse_lockdown("garbage"), "");
}

}  // namespace
