// EXP-05 gri gc: every GC cycle of a process, with the runtime's own account beside it.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "report/report.h"
#include "session/traced.h"

namespace gri::exp::gc {

struct GcOptions : session::TargetOptions {
  // With a command: run it with GODEBUG=gctrace=1, pass its stderr through after it exits,
  // and check every cycle against its "gc N @..." lines.
  bool crosscheck = false;
  // With crosscheck: keep the command's stderr (gctrace) in this file instead of passing it
  // through to gri's stderr.
  std::string gctrace_log;
  // Called with a launched command's PID once the probes are in, before it runs (e.g. to
  // move it into a cgroup).
  std::function<Status(pid_t)> before_start;
  // Also probe the write-barrier buffer flushes (EXP-06 builds on this): adds wb_flushes and
  // wb_pointers to each cycle and data["write_barrier"].
  bool write_barrier = false;
  // EXP-06 --exact: also probe the marking functions (per-cycle calls; costly).
  bool mark_probes = false;
  // EXP-06 --watch: a Go global holding the address of the object to follow.
  std::string watch;
};

Result<report::Report> run_gc(const GcOptions& options,
                              const std::function<void(const std::string&)>& progress);

}  // namespace gri::exp::gc
