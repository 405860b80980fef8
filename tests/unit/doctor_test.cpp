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
    return gri::probe::SelftestResult{2000, selftest_hits, 9800.0};
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
  ASSERT_EQ(checks.size(), 12u);
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
    EXPECT_NE(c.name, "bpf-load");
    EXPECT_NE(c.name, "uprobe");
  }
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
}

TEST(Doctor, LostUprobeHitsFail) {
  FakeSystem sys;
  sys.selftest_hits = 1999;
  EXPECT_EQ(find(run_checks(sys), "uprobe").verdict, Verdict::kFail);
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
