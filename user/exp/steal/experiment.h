// EXP-03 gri steal: who steals work from whom. Every call of runtime.runqgrab (a spinning
// M's P trying one victim P's local run queue) as a P x P matrix of attempts, steals and
// goroutines stolen, and whether thief and victim ran on different CPUs.
#pragma once

#include <functional>
#include <string>

#include "common/result.h"
#include "report/report.h"
#include "session/traced.h"

namespace gri::exp::steal {

struct StealOptions : session::TargetOptions {
  bool ret_probes = false;   // --ret-probes: read runqgrab's result at its RETs
  bool no_cpus = false;      // --no-cpus: no sched_switch, no CPU figures
};

Result<report::Report> run_steal(const StealOptions& options,
                                 const std::function<void(const std::string&)>& progress);

}  // namespace gri::exp::steal
