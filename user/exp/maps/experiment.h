// EXP-07 gri maps: which map the target's runtime has (swiss or buckets), every growth of
// its maps (kind, entries, slots before and after, time), and the share of its CPU time in
// map code, per function, from cpu-clock samples.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "common/result.h"
#include "report/report.h"
#include "session/traced.h"

namespace gri::exp::maps {

struct MapsOptions : session::TargetOptions {
  uint64_t sample_hz = 99;  // --sample-hz: cpu-clock samples a second on each CPU (0: none)
  std::string watch;        // --watch VAR: a global map variable, read each second
  bool exact = false;       // --exact: every call of a map function counted (of VAR's map alone
                            // with --watch)
  std::string phase_mark;   // --phase-mark FUNC: the workload begins a phase by calling FUNC
};

Result<report::Report> run_maps(const MapsOptions& options,
                                const std::function<void(const std::string&)>& progress);

// Whether a function (as the pclntab names it) is map code: "map" (the map implementation,
// its growth and evacuation), "hash" (the hash functions maps call), or "" (neither).
std::string map_code_class(std::string_view function);

}  // namespace gri::exp::maps
