// EXP-08 gri timers: the target's timer operations per P (add, modify, delete, run), who ran
// whose timers, how late they ran, its per-P heaps read from memory (size, shape), and how
// its idle Ms slept in netpoll against the next timer.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "report/report.h"
#include "session/traced.h"

namespace gri::exp::timers {

struct TimersOptions : session::TargetOptions {
  double heap_interval_s = 0.5;  // --heap-interval: how often the heaps are read
  bool netpoll = false;          // --netpoll: the target's epoll waits (the raw syscall
                                 // tracepoints, which every system call passes through)
  bool locks = false;            // --locks: the timers locks' acquisitions and waits (a probe
                                 // on runtime.lock2, which every runtime lock calls); with ops
  // --ops: every add, modify and delete counted (a probe hit each). Off by default: on
  // go-probes/gcload (about 48,000 timers a second, 3 operations each on go1.26) they cost
  // +9.3% (median of 9 pairs) against +0.5% for the runs alone (issue 16).
  bool ops = false;
};

Result<report::Report> run_timers(const TimersOptions& options,
                                  const std::function<void(const std::string&)>& progress);

// Whose timer a timer function is: "program" (time.Sleep's runtime.goroutineReady, the time
// package's sendTime and goFunc, the netpoller's I/O deadlines, any function outside the
// runtime) or "runtime" (the runtime's own: the scavenger's, ...); "" when unnamed.
std::string timer_owner(std::string_view function);

}  // namespace gri::exp::timers
