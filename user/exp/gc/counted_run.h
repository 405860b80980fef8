// Runs a command from its first instruction with the GC counters attached: the command is
// held before execve, the probes attach to its binary for its pid, then it runs to exit.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "common/result.h"
#include "exp/gc/gc_counter.h"
#include "probe/child.h"

namespace gri::exp::gc {

struct CountedRun {
  GcCounts counts;
  int wait_status = 0;
};

Result<CountedRun> run_counted(const probe::ChildOptions& command,
                               std::chrono::milliseconds timeout);

}  // namespace gri::exp::gc
