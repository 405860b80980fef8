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

Check hw_counters(const System& sys) {
  int err = sys.open_hw_cycles();
  if (err == 0) return {"hw-pmu", Verdict::kPass, "hardware cycles counter opens", ""};
  return {"hw-pmu", Verdict::kWarn,
          fmt::format("no hardware PMU ({}): cycles, instructions, cache-misses unavailable",
                      strerror(err)),
          "expected in a VM; reports fall back to cpu-clock sampling"};
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
  if (r->hits != r->calls) {
    return {"uprobe", Verdict::kFail,
            fmt::format("a uprobe on gri itself fired {} times for {} calls", r->hits, r->calls),
            "uprobes are unreliable here: report this machine's kernel"};
  }
  return {"uprobe", Verdict::kPass,
          fmt::format("a uprobe on gri itself fired {}/{} times; one hit costs {:.1f} us here",
                      r->hits, r->calls, r->ns_per_hit / 1000),
          ""};
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
    if (checks.back().verdict == Verdict::kPass) checks.push_back(uprobe_selftest(sys));
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
