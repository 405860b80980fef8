// System as gri sees the machine it runs on.
#include <bpf/libbpf.h>
#include <dirent.h>
#include <fnmatch.h>
#include <glob.h>
#include <linux/capability.h>
#include <linux/perf_event.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "doctor/doctor.h"
#include "probe/kernel_events.h"
#include "common/text_file.h"

namespace gri::doctor {

namespace {

// `go version` of one go command, run with GOTOOLCHAIN=local so it never downloads.
std::optional<std::string> go_version(const std::string& go) {
  std::string cmd = "GOTOOLCHAIN=local '" + go + "' env GOVERSION 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return std::nullopt;
  std::array<char, 128> buf{};
  std::string out;
  while (fgets(buf.data(), buf.size(), p)) out += buf.data();
  if (pclose(p) != 0) return std::nullopt;
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  if (out.rfind("go", 0) != 0) return std::nullopt;
  return out;
}

std::vector<std::string> glob_paths(const std::string& pattern) {
  std::vector<std::string> out;
  glob_t g{};
  if (glob(pattern.c_str(), 0, nullptr, &g) == 0) {
    for (size_t i = 0; i < g.gl_pathc; i++) out.emplace_back(g.gl_pathv[i]);
  }
  globfree(&g);
  return out;
}

std::string module_cache() {
  if (const char* c = getenv("GOMODCACHE"); c && *c) return c;
  if (const char* p = getenv("GOPATH"); p && *p) return std::string(p) + "/pkg/mod";
  if (const char* h = getenv("HOME"); h && *h) return std::string(h) + "/go/pkg/mod";
  return "/root/go/pkg/mod";
}

class RealSystem final : public System {
 public:
  uid_t euid() const override { return geteuid(); }

  uint64_t effective_caps() const override {
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    if (syscall(SYS_capget, &hdr, data) != 0) return 0;
    return static_cast<uint64_t>(data[0].effective) | (static_cast<uint64_t>(data[1].effective) << 32);
  }

  std::string kernel_release() const override {
    utsname u{};
    return uname(&u) == 0 ? u.release : "";
  }

  std::optional<std::string> read_file(const std::string& path) const override {
    return read_text_file(path);
  }

  bool exists(const std::string& path) const override { return access(path.c_str(), R_OK) == 0; }

  std::optional<std::string> tracefs_mount() const override {
    std::ifstream mounts("/proc/mounts");
    std::string dev, dir, type, rest;
    while (mounts >> dev >> dir >> type && std::getline(mounts, rest)) {
      if (type == "tracefs") return dir;
    }
    return std::nullopt;
  }

  Status mount_tracefs(const std::string& where) override {
    if (mount("nodev", where.c_str(), "tracefs", 0, nullptr) != 0) {
      return make_error("mount tracefs on {}: {}", where, strerror(errno));
    }
    return {};
  }

  int open_hw_cycles() const override { return probe::try_open_hw_counter(probe::HwCounter::kCycles); }

  Status load_trivial_bpf() const override {
    int r = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_KPROBE, nullptr);
    if (r == 1) return {};
    return make_error("cannot load a trivial BPF program: {}",
                      r < 0 ? strerror(-r) : "kprobe programs not supported");
  }

  Result<probe::SelftestResult> uprobe_selftest() const override {
    return probe::run_uprobe_selftest(kCalls);
  }

  Result<probe::HwSelftestResult> hw_counter_selftest() const override {
    return probe::run_hw_counter_selftest();
  }

  Result<probe::TracepointSelftestResult> tracepoint_selftest() const override {
    return probe::run_tracepoint_selftest(kSleeps);
  }

  Result<probe::SamplingSelftestResult> sampling_selftest() const override {
    return probe::run_sampling_selftest(kSampleHz, kSpinMs);
  }

  Result<probe::RingbufSelftestResult> ringbuf_selftest() const override {
    return probe::run_ringbuf_selftest(probe::ringbuf_selftest_events());
  }

  std::vector<GoToolchain> go_toolchains() const override {
    std::vector<std::string> candidates;
    if (const char* path = getenv("PATH")) {
      std::stringstream ss(path);
      std::string dir;
      while (std::getline(ss, dir, ':')) {
        if (!dir.empty()) candidates.push_back(dir + "/go");
      }
    }
    candidates.push_back("/usr/local/go/bin/go");
    for (auto& p : glob_paths("/usr/lib/go-*/bin/go")) candidates.push_back(p);
    // Toolchains the go command fetched for GOTOOLCHAIN=goX.Y.Z.
    for (auto& p : glob_paths(module_cache() + "/golang.org/toolchain@v0.0.1-go*/bin/go")) {
      candidates.push_back(p);
    }
    std::vector<GoToolchain> out;
    std::set<std::string> seen;
    for (const std::string& c : candidates) {
      char real[PATH_MAX];
      if (access(c.c_str(), X_OK) != 0 || !realpath(c.c_str(), real) || !seen.insert(real).second) {
        continue;
      }
      if (auto v = go_version(c)) out.push_back({*v, c});
    }
    std::sort(out.begin(), out.end(), [](const GoToolchain& a, const GoToolchain& b) {
      return strverscmp(a.version.c_str(), b.version.c_str()) < 0;
    });
    return out;
  }

 private:
  static constexpr uint64_t kCalls = 2000;
  static constexpr uint64_t kSleeps = 20;
  // 999 Hz, not 1000: not a multiple of HZ, so samples do not move in lockstep with
  // tick-driven work (why profilers sample at 49 or 99 Hz).
  static constexpr uint64_t kSampleHz = 999;
  static constexpr uint64_t kSpinMs = 200;
};

}  // namespace

std::unique_ptr<System> real_system() { return std::make_unique<RealSystem>(); }

}  // namespace gri::doctor
