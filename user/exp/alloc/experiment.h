// EXP-04 gri alloc: tiny, small (per size class) and large allocations of a process, from the
// runtime's own counters (nothing probed on the allocation path by default), allocation sites
// from CPU samples, and with --exact a probe on runtime.mallocgc.
#pragma once

#include <functional>
#include <string>

#include "common/result.h"
#include "report/report.h"
#include "session/traced.h"

namespace gri::exp::alloc {

struct AllocOptions : session::TargetOptions {
  // "sample": cpu-clock samples whose user stack passes through the allocator (default);
  // "exact": also a probe on runtime.(*mcache).refill with its stack; "none".
  std::string sites = "sample";
  bool exact = false;        // a probe on runtime.mallocgc: every allocation, by size
  // --sample-hz: cpu-clock samples a second on each CPU, for the sites. 99 by default, as
  // gri maps: 997 cost the GC-heavy go-probes/gcload +5.8% (median of 15 pairs, go1.19, 2 CPUs
  // busy), 99 +1.9%, no sampling +2.0%. Not a multiple of 10 or 100, so it does not beat
  // with the program's timers.
  uint64_t sample_hz = 99;
  double interval_s = 0.5;   // period of the counter snapshots
  int top = 10;              // allocation sites shown
  bool hold_at_exit = true;  // stop a target at runtime.exit for the last read
  // Output of `go build -gcflags=-m` for the target: its heap escapes are compared with the
  // allocation sites seen in package main (data["escape"] and a verdict). Needs sites.
  std::string escape_report;
  std::string escape_prefix;  // only the compiler's lines whose file starts so ("alloc/")
};

Result<report::Report> run_alloc(const AllocOptions& options,
                                 const std::function<void(const std::string&)>& progress);

}  // namespace gri::exp::alloc
