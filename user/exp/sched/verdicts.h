// EXP-01's verdicts, from the session's figures: is the program CPU-saturated or
// lock-contended? Kept apart from the probes so that the rule is tested on its own.
//
// Why these measurements. On a machine with fewer CPUs than busy goroutines the runtime keeps
// every P running and the goroutines it cannot run wait in the run queues: idle Ps near 0,
// run queues non-empty. A goroutine that waits on a sync.Mutex parks (semacquire1 -> gopark,
// runtime/sema.go, go1.19-1.27) and its thread does not block on the mutex: the thread goes
// on to the next goroutine or, with none, sleeps idle in stopm. So lock contention shows as
// goroutines parked on the mutex (the census) and Ps idle while they wait, not as threads
// blocked in a lock; only the runtime's internal locks (lock2) block threads themselves.
// Both are measured in goroutine-seconds: time goroutines spent runnable but waiting for a P,
// and time they spent waiting for a lock.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "report/report.h"

namespace gri::exp::sched {

struct VerdictInputs {
  double duration_s = 0;
  int gomaxprocs = 0;
  // From the P snapshots (empty without them): the mean fraction of time a P was idle, and
  // the mean number of runnable goroutines waiting for a P (local queues, runnext, global).
  std::optional<double> idle_frac;
  std::optional<double> queued_avg;
  // From the goroutine census (empty without it): mean goroutines parked on a sync.Mutex or
  // RWMutex.
  std::optional<double> mutex_waiters_avg;
  std::string snapshots_missing;  // why there are none
  std::string census_missing;
  // From the threads: time blocked in runtime-internal locks (lock2), thread-seconds.
  double runtime_lock_s = 0;
};

// Thresholds, in the units above. A P idle less than a fifth of the time is busy; half a
// goroutine waiting on average is a queue that holds something most of the time.
inline constexpr double kBusyIdleFrac = 0.2;
inline constexpr double kQueuedMin = 0.5;
inline constexpr double kLockWaitersMin = 0.5;

struct Verdicts {
  report::Verdict cpu;
  report::Verdict lock;
  double cpu_wait_s = 0;   // goroutine-seconds runnable, waiting for a P
  double lock_wait_s = 0;  // goroutine-seconds on sync.Mutex + thread-seconds in lock2
};

Verdicts decide(const VerdictInputs& in);

}  // namespace gri::exp::sched
