// gri doctor: can this machine trace Go with gri, and what is missing.
//
// The checks read the machine through System, so the verdict logic is tested with a fake
// (tests/unit/doctor_test.cpp); RealSystem is the one gri runs.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "common/result.h"
#include "probe/uprobe_check.h"

namespace gri::doctor {

enum class Verdict { kPass, kWarn, kFail };

std::string_view verdict_name(Verdict v);

struct Check {
  std::string name;
  Verdict verdict;
  std::string detail;  // what was found
  std::string fix;     // what to do (warn and fail only)
};

struct GoToolchain {
  std::string version;  // "go1.26.8"
  std::string path;     // the go command
};

// Capability bits, from linux/capability.h.
inline constexpr int kCapSysAdmin = 21;
inline constexpr int kCapPerfmon = 38;
inline constexpr int kCapBpf = 39;

class System {
 public:
  virtual ~System() = default;
  virtual uid_t euid() const = 0;
  virtual uint64_t effective_caps() const = 0;
  virtual std::string kernel_release() const = 0;
  virtual std::optional<std::string> read_file(const std::string& path) const = 0;
  virtual bool exists(const std::string& path) const = 0;
  // Where tracefs is mounted, if it is.
  virtual std::optional<std::string> tracefs_mount() const = 0;
  virtual Status mount_tracefs(const std::string& where) = 0;
  // 0 when a hardware cycles counter opens on this process, else the errno: a raw
  // perf_event_open, the oracle that gri's counter helper must agree with.
  virtual int open_hw_cycles() const = 0;
  // Loads a minimal kprobe-type program (libbpf's feature probe).
  virtual Status load_trivial_bpf() const = 0;
  // The self-tests of user/probe/uprobe_check.h, on gri itself (they need privileges).
  virtual Result<probe::SelftestResult> uprobe_selftest() const = 0;
  virtual Result<probe::HwSelftestResult> hw_counter_selftest() const = 0;
  virtual Result<probe::TracepointSelftestResult> tracepoint_selftest() const = 0;
  virtual Result<probe::SamplingSelftestResult> sampling_selftest() const = 0;
  virtual Result<probe::RingbufSelftestResult> ringbuf_selftest() const = 0;
  virtual std::vector<GoToolchain> go_toolchains() const = 0;
};

std::unique_ptr<System> real_system();

// True when the caller may use BPF and perf events at all (root, or CAP_BPF with
// CAP_PERFMON, or CAP_SYS_ADMIN); gri doctor stops at once when it may not.
bool privileged(const System& sys);

// Every check, in order. Privileges first.
std::vector<Check> run_checks(System& sys);

// gri can trace here when no check failed.
bool can_trace(const std::vector<Check>& checks);

std::string render_text(const std::vector<Check>& checks);
nlohmann::ordered_json to_json(const std::vector<Check>& checks);

// "6.18.44-fc" -> {6, 18}; nullopt when it does not start with two numbers.
std::optional<std::pair<int, int>> parse_kernel_version(const std::string& release);

// "[none] integrity confidentiality" -> "none"; empty when no mode is bracketed.
std::string parse_lockdown(const std::string& text);

}  // namespace gri::doctor
