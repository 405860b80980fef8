// Counting perf events on every thread of one process, read from user space: hardware
// counters (cycles, instructions, cache references and misses, L1d and last-level load
// misses) where the CPU has a PMU, and software ones (task-clock, page faults, context
// switches) everywhere. One event per thread that exists when they open, each inherited by
// the threads it creates later (perf_event_attr.inherit; a read sums the children, exited or
// not: kernel/events/core.c perf_event_read_value), so a Go program's Ms, started later by
// clone from an existing thread, are counted too.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"
#include "probe/kernel_events.h"

namespace gri::probe {

struct TaskCounterValue {
  std::string name;  // "cycles", "task_clock_ns", ...
  bool hardware = false;
  uint64_t value = 0;  // scaled by time enabled / time running where the PMU multiplexed
};

class TaskCounters {
 public:
  // Opens the counters on pid's threads (/proc/PID/task). The hardware ones are left out,
  // with hw_unavailable() saying why, where the machine cannot count them (no PMU: ENOENT);
  // other failures are errors.
  static Result<TaskCounters> open(pid_t pid);

  const std::string& hw_unavailable() const { return hw_unavailable_; }
  bool hw_available() const { return hw_unavailable_.empty(); }

  // Every counter open, summed over the threads, in a fixed order.
  Result<std::vector<TaskCounterValue>> read() const;

 private:
  struct Counter {
    std::string name;
    bool hardware = false;
    std::vector<ScopedFd> fds;  // one per thread
  };
  std::vector<Counter> counters_;
  std::string hw_unavailable_;
};

}  // namespace gri::probe
