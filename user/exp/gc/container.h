// EXP-05's container run: the same workload twice in a memory cgroup, with GOGC alone and
// with GOMEMLIMIT below the cgroup's limit, traced by gri gc.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "report/report.h"

namespace gri::exp::gc {

struct ContainerRun {
  std::string env;      // "GOGC=100" or "GOMEMLIMIT=78643200"
  bool oom_killed = false;
  bool exited_ok = false;
  uint64_t cycles = 0;
  uint64_t max_goal_bytes = 0;
  uint64_t peak_bytes = 0;      // the cgroup's peak charge (0: the kernel does not say)
  std::vector<uint64_t> goals;  // gcControllerState.lastHeapGoal of every cycle
  report::Report report;
};

struct ContainerResult {
  uint64_t cgroup_limit_bytes = 0;
  uint64_t memory_limit_bytes = 0;  // GOMEMLIMIT of the second run
  uint64_t cycles_over_limit = 0;   // of the second run, with a goal above GOMEMLIMIT
  ContainerRun gogc_only;
  ContainerRun with_limit;
  report::Verdict verdict;
};

// Runs go-probes/memlimit (`exe`) twice in a fresh memory cgroup of `cgroup_mib` MiB: with
// GOGC=100 and no limit, then with GOMEMLIMIT at 75% of the cgroup's limit.
Result<ContainerResult> run_container(const std::string& exe, uint64_t cgroup_mib = 100);

}  // namespace gri::exp::gc
