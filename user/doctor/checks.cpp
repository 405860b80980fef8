// The checks of gri doctor and their verdicts; the machine is read through System.
#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "doctor/doctor.h"

namespace gri::doctor {

namespace {

// Linux 5.8 brought the BPF ring buffer and CAP_BPF / CAP_PERFMON.
constexpr std::pair<int, int> kMinKernel{5, 8};

bool has_cap(const System& sys, int cap) { return (sys.effective_caps() >> cap) & 1; }

Check privileges(const System& sys) {
  if (sys.euid() == 0) return {"privileges", Verdict::kPass, "running as root", ""};
  std::vector<std::string> have;
  if (has_cap(sys, kCapBpf)) have.push_back("CAP_BPF");
  if (has_cap(sys, kCapPerfmon)) have.push_back("CAP_PERFMON");
  if (has_cap(sys, kCapSysAdmin)) have.push_back("CAP_SYS_ADMIN");
  std::string list = have.empty() ? "no BPF capabilities" : fmt::format("{}", fmt::join(have, ", "));
  if (privileged(sys)) {
    return {"privileges", Verdict::kPass, fmt::format("not root, with {}", list), ""};
  }
  return {"privileges", Verdict::kFail, fmt::format("not root, {}", list),
          "run gri with sudo (or grant CAP_BPF and CAP_PERFMON)"};
}

Check kernel(const System& sys) {
  std::string release = sys.kernel_release();
  auto v = parse_kernel_version(release);
  if (!v) return {"kernel", Verdict::kWarn, fmt::format("cannot parse release '{}'", release), ""};
  if (*v < kMinKernel) {
    return {"kernel", Verdict::kFail,
            fmt::format("Linux {}: older than 5.8 (no BPF ring buffer, no CAP_BPF)", release),
            "use Linux 5.8 or newer"};
  }
  return {"kernel", Verdict::kPass, fmt::format("Linux {} (5.8+ needed)", release), ""};
}

Check btf(const System& sys) {
  const std::string path = "/sys/kernel/btf/vmlinux";
  if (sys.exists(path)) return {"btf", Verdict::kPass, path + " present (CO-RE works)", ""};
  return {"btf", Verdict::kFail, path + " missing: the kernel has no BTF, CO-RE cannot relocate",
          "use a kernel built with CONFIG_DEBUG_INFO_BTF=y"};
}

Check uprobe_pmu(const System& sys) {
  auto type = sys.read_file("/sys/bus/event_source/devices/uprobe/type");
  if (type) {
    std::string t = *type;
    t.erase(std::remove(t.begin(), t.end(), '\n'), t.end());
    return {"uprobe-pmu", Verdict::kPass, fmt::format("uprobe PMU present (type {})", t), ""};
  }
  return {"uprobe-pmu", Verdict::kWarn,
          "no uprobe PMU: libbpf falls back to tracefs uprobe_events",
          "use a kernel with CONFIG_UPROBE_EVENTS and perf uprobe support (4.17+)"};
}

Check tracefs(System& sys) {
  if (auto where = sys.tracefs_mount()) {
    return {"tracefs", Verdict::kPass, fmt::format("mounted at {}", *where), ""};
  }
  const std::string where = "/sys/kernel/tracing";
  if (sys.euid() == 0 || has_cap(sys, kCapSysAdmin)) {
    if (auto st = sys.mount_tracefs(where); st) {
      return {"tracefs", Verdict::kPass, fmt::format("was not mounted; mounted it at {}", where), ""};
    } else {
      return {"tracefs", Verdict::kWarn,
              fmt::format("not mounted, and mounting failed: {}", st.error().message),
              fmt::format("mount -t tracefs nodev {} (tracepoints need it)", where)};
    }
  }
  return {"tracefs", Verdict::kWarn, "not mounted; tracepoint experiments cannot attach",
          fmt::format("mount -t tracefs nodev {}", where)};
}

Check paranoid(const System& sys) {
  auto text = sys.read_file("/proc/sys/kernel/perf_event_paranoid");
  if (!text) return {"perf-paranoid", Verdict::kWarn, "cannot read perf_event_paranoid", ""};
  int level = std::atoi(text->c_str());
  bool exempt = sys.euid() == 0 || has_cap(sys, kCapPerfmon) || has_cap(sys, kCapSysAdmin);
  if (exempt) {
    return {"perf-paranoid", Verdict::kPass,
            fmt::format("perf_event_paranoid={} (root or CAP_PERFMON is not limited by it)", level),
            ""};
  }
  if (level > 1) {
    return {"perf-paranoid", Verdict::kWarn,
            fmt::format("perf_event_paranoid={}: perf sampling of other processes is refused", level),
            "run with sudo or CAP_PERFMON, or: sysctl kernel.perf_event_paranoid=1"};
  }
  return {"perf-paranoid", Verdict::kPass, fmt::format("perf_event_paranoid={}", level), ""};
}

// The raw perf_event_open of a cycles counter says whether there is a hardware PMU; with
// privileges, gri's own counter helper (per-CPU counters read from BPF) must agree with it.
Check hw_counters(const System& sys) {
  int err = sys.open_hw_cycles();
  const std::string none = fmt::format(
      "no hardware PMU ({}): cycles, instructions, cache-misses unavailable", strerror(err));
  const std::string vm_fix = "expected in a VM; reports fall back to cpu-clock sampling";
  if (!privileged(sys)) {
    if (err == 0) return {"hw-pmu", Verdict::kPass, "hardware cycles counter opens", ""};
    return {"hw-pmu", Verdict::kWarn, none, vm_fix};
  }
  auto r = sys.hw_counter_selftest();
  if (!r) {
    if (err == 0) {
      return {"hw-pmu", Verdict::kFail,
              fmt::format("a cycles counter opens, but gri's counter helper failed: {}",
                          r.error().message),
              "see gri doctor -v for libbpf's log"};
    }
    return {"hw-pmu", Verdict::kWarn, none, vm_fix};
  }
  const probe::HwCounterReading* cycles = nullptr;
  for (const auto& c : r->counters) {
    if (c.counter == probe::HwCounter::kCycles) cycles = &c;
  }
  bool helper_has_cycles = cycles && cycles->unavailable.empty();
  if (helper_has_cycles != (err == 0)) {
    std::string helper = helper_has_cycles ? "available" : cycles ? cycles->unavailable : "nothing";
    return {"hw-pmu", Verdict::kFail,
            fmt::format("perf_event_open(cycles) {} but gri's counter helper says {}",
                        err == 0 ? "succeeds" : fmt::format("fails ({})", strerror(err)), helper),
            "report this machine: gri's hardware counter code is wrong here"};
  }
  if (err != 0) return {"hw-pmu", Verdict::kWarn, none, vm_fix};

  std::vector<std::string> read, missing;
  for (const auto& c : r->counters) {
    std::string_view name = probe::hw_counter_name(c.counter);
    if (!c.unavailable.empty()) {
      missing.push_back(std::string(name));
    } else if (c.err != 0 || c.value == 0 || c.enabled_ns == 0) {
      return {"hw-pmu", Verdict::kFail,
              fmt::format("{} opens, but BPF read {} from it ({})", name, c.value,
                          c.err != 0 ? strerror(static_cast<int>(-c.err)) : "no error"),
              "report this machine: bpf_perf_event_read_value fails here"};
    } else {
      read.push_back(fmt::format("{} {}", name, c.value));
    }
  }
  if (!missing.empty()) {
    return {"hw-pmu", Verdict::kWarn,
            fmt::format("read from BPF: {}; {} unavailable", fmt::join(read, ", "),
                        fmt::join(missing, ", ")),
            "this PMU lacks those events; reports say so"};
  }
  return {"hw-pmu", Verdict::kPass, fmt::format("read from BPF: {}", fmt::join(read, ", ")), ""};
}

Check lockdown(const System& sys) {
  auto text = sys.read_file("/sys/kernel/security/lockdown");
  if (!text) return {"lockdown", Verdict::kPass, "no lockdown LSM", ""};
  std::string mode = parse_lockdown(*text);
  if (mode == "confidentiality") {
    return {"lockdown", Verdict::kFail,
            "lockdown=confidentiality: BPF may not read user memory, Go probes cannot work",
            "boot with lockdown=integrity or none"};
  }
  return {"lockdown", Verdict::kPass,
          fmt::format("lockdown={} (gri only reads the target's memory)", mode.empty() ? "?" : mode),
          ""};
}

Check bpf_load(const System& sys) {
  if (auto st = sys.load_trivial_bpf(); !st) {
    return {"bpf-load", Verdict::kFail, st.error().message,
            "check privileges, kernel.unprivileged_bpf_disabled and the BPF syscall (seccomp?)"};
  }
  return {"bpf-load", Verdict::kPass, "a trivial BPF program loads", ""};
}

Check uprobe_selftest(const System& sys) {
  auto r = sys.uprobe_selftest();
  if (!r) return {"uprobe", Verdict::kFail, r.error().message, "see gri doctor -v for libbpf's log"};
  if (r->hits != r->calls || r->push_hits != r->calls) {
    return {"uprobe", Verdict::kFail,
            fmt::format("uprobes on gri itself fired {} and {} times for {} calls each", r->hits,
                        r->push_hits, r->calls),
            "uprobes are unreliable here: report this machine's kernel"};
  }
  return {"uprobe", Verdict::kPass,
          fmt::format("uprobes on gri itself fired {0}/{1} and {2}/{1} times; one hit costs {3:.1f} "
                      "us on a RET (single-stepped), {4:.1f} us on a PUSH (emulated)",
                      r->hits, r->calls, r->push_hits, r->ns_per_hit / 1000,
                      r->ns_per_push_hit / 1000),
          ""};
}

// Switches, wakeups and signals of gri's own thread are kept, a bystander process's are
// dropped, and every kept thread id is one of ours by /proc/self/task.
Check tracepoints(const System& sys) {
  auto r = sys.tracepoint_selftest();
  if (!r) {
    return {"tracepoints", Verdict::kFail, r.error().message,
            "check tracefs (mount -t tracefs nodev /sys/kernel/tracing) and gri doctor -v"};
  }
  const uint64_t n = r->rounds;
  std::vector<std::string> bad;
  auto at_least = [&](uint64_t got, std::string_view what) {
    if (got < n) bad.push_back(fmt::format("{} {} (expected >= {})", got, what, n));
  };
  at_least(r->switch_out, "switch-outs of ours");
  at_least(r->switch_in, "switch-ins of ours");
  at_least(r->wakeup, "wakeups of ours");
  at_least(r->switch_other, "switches of the bystander seen");
  at_least(r->wakeup_other, "wakeups of the bystander seen");
  if (r->own_tid_events == 0) bad.push_back("no event of the calling thread was kept");
  if (!r->foreign_tids.empty()) {
    bad.push_back(
        fmt::format("kept events of threads not ours: {}", fmt::join(r->foreign_tids, ", ")));
  }
  if (r->signal_ours != n || r->signal_other != n) {
    bad.push_back(fmt::format("signal {}: {} of ours and {} of the bystander's (sent {} each)",
                              r->signal, r->signal_ours, r->signal_other, n));
  }
  if (r->switch_prev_not_current != 0 || r->classic_prev_not_current != 0) {
    bad.push_back(fmt::format("sched_switch ran {} times with prev != current",
                              r->switch_prev_not_current + r->classic_prev_not_current));
  }
  if (r->classic_unavailable.empty()) {
    at_least(r->classic_switch_out, "classic switch-outs of ours");
  }
  if (!bad.empty()) {
    return {"tracepoints", Verdict::kFail, fmt::format("filter by tgid: {}", fmt::join(bad, "; ")),
            "report this machine: tracepoint events are lost or misattributed"};
  }
  std::string detail =
      fmt::format("kept {} switches, {} wakeups, {}/{} signals of ours; a bystander's {} dropped",
                  r->switch_out, r->wakeup, r->signal_ours, n,
                  r->switch_other + r->wakeup_other + r->signal_other);
  if (!r->classic_unavailable.empty()) {
    return {"tracepoints", Verdict::kWarn,
            fmt::format("{}; classic tracepoints: {}", detail, r->classic_unavailable),
            "mount -t tracefs nodev /sys/kernel/tracing"};
  }
  return {"tracepoints", Verdict::kPass, detail, ""};
}

// cpu-clock samples of gri's own spinning thread: about frequency x its CPU time, each
// with a user stack.
Check perf_sampling(const System& sys) {
  auto r = sys.sampling_selftest();
  if (!r) {
    return {"perf-sampling", Verdict::kFail, r.error().message,
            "check perf_event_paranoid and kernel.perf_event_max_sample_rate"};
  }
  // Expected samples follow the spin's CPU time; a spin that got little CPU tests little.
  if (r->cpu_ms < 0.9 * static_cast<double>(r->spin_ms)) {
    return {"perf-sampling", Verdict::kFail,
            fmt::format("gri's spin got {:.0f} ms of CPU in {:.0f} ms, not {} ms", r->cpu_ms,
                        r->wall_ms, r->spin_ms),
            "run gri doctor on a less loaded machine"};
  }
  uint64_t lo = r->expected / 2, hi = r->expected * 3 / 2;
  if (r->samples < lo || r->samples > hi) {
    return {"perf-sampling", Verdict::kFail,
            fmt::format("{} cpu-clock samples of gri running {:.0f} ms at {} Hz (expected {}-{})",
                        r->samples, r->cpu_ms, r->frequency_hz, lo, hi),
            "report this machine: perf sampling is unreliable here"};
  }
  if (r->samples_user_stack != r->samples) {
    return {"perf-sampling", Verdict::kFail,
            fmt::format("{} of {} samples had no user stack", r->samples - r->samples_user_stack,
                        r->samples),
            "report this machine: bpf_get_stack(BPF_F_USER_STACK) fails here"};
  }
  return {"perf-sampling", Verdict::kPass,
          fmt::format("{} samples/{:.0f} ms on CPU at {} Hz, all with user stacks; {} others "
                      "dropped",
                      r->samples, r->cpu_ms, r->frequency_hz, r->samples_other),
          ""};
}

// A burst into a one-page ring: every record is either delivered or counted as lost.
Check ringbuf(const System& sys) {
  auto r = sys.ringbuf_selftest();
  if (!r) {
    return {"ringbuf", Verdict::kFail, r.error().message, "see gri doctor -v for libbpf's log"};
  }
  std::string counts = fmt::format("{} records into a {} B ring: {} reserved, {} lost",
                                   r->submitted, r->ring_bytes, r->reserved, r->lost);
  // Every line fits 100 columns on a 4 KiB-page machine.
  std::string problem;
  if (r->reserved + r->lost != r->submitted) {
    problem = "reserved + lost != submitted";
  } else if (r->lost == 0) {
    problem = "the ring never overflowed, so lost counting was not tested";
  } else if (r->consumed != r->reserved || !r->in_order) {
    problem = fmt::format("{} read back{}", r->consumed, r->in_order ? "" : ", out of order");
  }
  if (!problem.empty()) {
    return {"ringbuf", Verdict::kFail, fmt::format("{}: {}", counts, problem),
            "report this machine: ring buffer losses are miscounted"};
  }
  return {"ringbuf", Verdict::kPass, fmt::format("{} (counted), all read back", counts), ""};
}

Check memory_cgroup(const System& sys) {
  if (sys.exists("/sys/fs/cgroup/memory/memory.limit_in_bytes")) {
    return {"memory-cgroup", Verdict::kPass, "cgroup v1 memory controller at /sys/fs/cgroup/memory",
            ""};
  }
  for (const char* root : {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"}) {
    auto controllers = sys.read_file(std::string(root) + "/cgroup.controllers");
    if (controllers && controllers->find("memory") != std::string::npos) {
      return {"memory-cgroup", Verdict::kPass, fmt::format("cgroup v2 memory controller at {}", root),
              ""};
    }
  }
  return {"memory-cgroup", Verdict::kWarn,
          "no memory cgroup controller: EXP-05's container run cannot set a memory limit",
          "mount the cgroup memory controller (v1 or v2)"};
}

Check go_toolchains(const System& sys) {
  auto found = sys.go_toolchains();
  if (found.empty()) {
    return {"go-toolchains", Verdict::kWarn,
            "none found: gri traces Go binaries without one, but lab and tests build workloads",
            "run tools/setup"};
  }
  std::vector<std::string> names;
  for (const GoToolchain& t : found) names.push_back(t.version);
  return {"go-toolchains", Verdict::kPass, fmt::format("{}", fmt::join(names, ", ")), ""};
}

}  // namespace

std::string_view verdict_name(Verdict v) {
  switch (v) {
    case Verdict::kPass:
      return "pass";
    case Verdict::kWarn:
      return "warn";
    case Verdict::kFail:
      break;
  }
  return "fail";
}

bool privileged(const System& sys) {
  return sys.euid() == 0 || (has_cap(sys, kCapBpf) && has_cap(sys, kCapPerfmon)) ||
         has_cap(sys, kCapSysAdmin);
}

std::vector<Check> run_checks(System& sys) {
  std::vector<Check> checks;
  checks.push_back(privileges(sys));
  checks.push_back(kernel(sys));
  checks.push_back(btf(sys));
  checks.push_back(lockdown(sys));
  checks.push_back(uprobe_pmu(sys));
  checks.push_back(tracefs(sys));
  checks.push_back(paranoid(sys));
  checks.push_back(hw_counters(sys));
  checks.push_back(memory_cgroup(sys));
  checks.push_back(go_toolchains(sys));
  // Loading needs privileges; without them every BPF line would only repeat that.
  if (privileged(sys)) {
    checks.push_back(bpf_load(sys));
    if (checks.back().verdict == Verdict::kPass) {
      checks.push_back(uprobe_selftest(sys));
      checks.push_back(tracepoints(sys));
      checks.push_back(perf_sampling(sys));
      checks.push_back(ringbuf(sys));
    }
  }
  return checks;
}

bool can_trace(const std::vector<Check>& checks) {
  return std::none_of(checks.begin(), checks.end(),
                      [](const Check& c) { return c.verdict == Verdict::kFail; });
}

std::string render_text(const std::vector<Check>& checks) {
  std::string out;
  for (const Check& c : checks) {
    // One line per check, the fix on the same line: scripts grep these.
    out += fmt::format("{}  {:<14} {}", verdict_name(c.verdict), c.name, c.detail);
    out += c.fix.empty() ? "\n" : fmt::format("; fix: {}\n", c.fix);
  }
  out += can_trace(checks) ? "gri can trace on this machine\n" : "gri cannot trace on this machine\n";
  return out;
}

nlohmann::ordered_json to_json(const std::vector<Check>& checks) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const Check& c : checks) {
    list.push_back({{"name", c.name},
                    {"status", verdict_name(c.verdict)},
                    {"detail", c.detail},
                    {"fix", c.fix}});
  }
  nlohmann::ordered_json out;
  out["schema"] = "gri.doctor/1";
  out["ok"] = can_trace(checks);
  out["checks"] = std::move(list);
  return out;
}

std::optional<std::pair<int, int>> parse_kernel_version(const std::string& release) {
  int major = 0, minor = 0;
  if (std::sscanf(release.c_str(), "%d.%d", &major, &minor) != 2) return std::nullopt;
  return std::pair{major, minor};
}

std::string parse_lockdown(const std::string& text) {
  auto open = text.find('[');
  auto close = text.find(']', open);
  if (open == std::string::npos || close == std::string::npos) return "";
  return text.substr(open + 1, close - open - 1);
}

}  // namespace gri::doctor
