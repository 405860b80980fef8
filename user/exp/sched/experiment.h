// EXP-01 gri sched: how load is spread across Ps (local run queues, the global queue, idle
// Ps, spinning Ms), where the target's threads spend their time (on a CPU, waiting for one,
// blocked and why), and whether a slow program is CPU-saturated or lock-contended.
#pragma once

#include <functional>
#include <string>

#include "common/result.h"
#include "report/report.h"
#include "session/traced.h"

namespace gri::exp::sched {

struct SchedOptions : session::TargetOptions {
  double rate_hz = 100;  // snapshots of the Ps and the goroutine census per second
  // Entry uprobes on runtime.findRunnable and runtime.execute: every schedule round pays
  // two probe hits. Its cost is printed before attaching.
  bool deep = false;
  // With a command: run it with GODEBUG=schedtrace=100 and compare the run queues it prints
  // with what gri's snapshots saw.
  bool crosscheck = false;
  // With crosscheck: keep the command's stderr (schedtrace) in this file instead of passing
  // it through to gri's stderr after the run.
  std::string schedtrace_log;
};

Result<report::Report> run_sched(const SchedOptions& options,
                                 const std::function<void(const std::string&)>& progress);

}  // namespace gri::exp::sched
