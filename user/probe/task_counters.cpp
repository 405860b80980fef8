#include "probe/task_counters.h"

#include <linux/perf_event.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

namespace gri::probe {

namespace {

struct Spec {
  const char* name;
  uint32_t type;
  uint64_t config;
};

constexpr uint64_t cache_read_miss(uint64_t cache) {
  return cache | (PERF_COUNT_HW_CACHE_OP_READ << 8) | (PERF_COUNT_HW_CACHE_RESULT_MISS << 16);
}

constexpr Spec kHardware[] = {
    {"cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES},
    {"instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS},
    {"cache_references", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_REFERENCES},
    {"cache_misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES},
    {"l1d_load_misses", PERF_TYPE_HW_CACHE, cache_read_miss(PERF_COUNT_HW_CACHE_L1D)},
    {"llc_load_misses", PERF_TYPE_HW_CACHE, cache_read_miss(PERF_COUNT_HW_CACHE_LL)},
};
constexpr Spec kSoftware[] = {
    {"task_clock_ns", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK},
    {"page_faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS},
    {"context_switches", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES},
};

perf_event_attr counting_attr(const Spec& s) {
  perf_event_attr attr{};
  attr.size = sizeof(attr);
  attr.type = s.type;
  attr.config = s.config;
  attr.inherit = 1;
  attr.exclude_hv = 1;
  attr.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
  return attr;
}

Result<std::vector<pid_t>> threads_of(pid_t pid) {
  std::vector<pid_t> out;
  std::error_code ec;
  std::string dir = fmt::format("/proc/{}/task", pid);
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    out.push_back(static_cast<pid_t>(std::stol(e.path().filename().string())));
  }
  if (ec) return make_error("cannot list the threads of PID {} ({}): {}", pid, dir, ec.message());
  return out;
}

}  // namespace

Result<TaskCounters> TaskCounters::open(pid_t pid) {
  auto tids = threads_of(pid);
  if (!tids) return tids.error();
  TaskCounters tc;
  auto open_all = [&](const Spec& s, bool hardware) -> Result<bool> {
    Counter c{s.name, hardware, {}};
    perf_event_attr attr = counting_attr(s);
    for (pid_t tid : *tids) {
      ScopedFd fd(perf_event_open_fd(attr, tid, -1));
      if (!fd) {
        int err = errno;
        if (err == ESRCH) continue;  // the thread ended meanwhile
        if (hardware && (err == ENOENT || err == EOPNOTSUPP || err == EINVAL)) {
          tc.hw_unavailable_ = fmt::format(
              "unavailable: {} for {} (perf_event_open: {})",
              err == ENOENT ? "no hardware PMU" : "the PMU does not count it", s.name, strerror(err));
          return false;
        }
        return make_error("cannot count {} on thread {} of PID {}: {}", s.name, tid, pid,
                          strerror(err));
      }
      c.fds.push_back(std::move(fd));
    }
    if (c.fds.empty()) return make_error("PID {} has no thread left to count", pid);
    tc.counters_.push_back(std::move(c));
    return true;
  };
  for (const Spec& s : kHardware) {
    auto ok = open_all(s, true);
    if (!ok) return ok.error();
    if (!*ok) {
      // All hardware counters or none: a report with cycles but no instructions is no use.
      std::erase_if(tc.counters_, [](const Counter& c) { return c.hardware; });
      break;
    }
  }
  for (const Spec& s : kSoftware) {
    auto ok = open_all(s, false);
    if (!ok) return ok.error();
  }
  return tc;
}

Result<std::vector<TaskCounterValue>> TaskCounters::read() const {
  std::vector<TaskCounterValue> out;
  for (const Counter& c : counters_) {
    TaskCounterValue v{c.name, c.hardware, 0};
    for (const ScopedFd& fd : c.fds) {
      uint64_t buf[3] = {};  // value, time enabled, time running
      ssize_t n = ::read(fd.get(), buf, sizeof(buf));
      if (n != static_cast<ssize_t>(sizeof(buf))) {
        return make_error("cannot read the {} counter: {}", c.name, n < 0 ? strerror(errno) : "short read");
      }
      double scale = buf[2] && buf[2] < buf[1] ? static_cast<double>(buf[1]) / static_cast<double>(buf[2]) : 1.0;
      v.value += static_cast<uint64_t>(static_cast<double>(buf[0]) * scale);
    }
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace gri::probe
