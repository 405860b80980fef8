#include "exp/sched/verdicts.h"

#include <fmt/format.h>

namespace gri::exp::sched {

Verdicts decide(const VerdictInputs& in) {
  Verdicts v;
  v.cpu.id = "EXP-01.cpu";
  v.cpu.hypothesis = "the program is CPU-saturated: every P busy and goroutines queued for one";
  v.lock.id = "EXP-01.lock";
  v.lock.hypothesis =
      "the program is lock-contended: goroutines wait on locks more than they wait for a P";
  double d = in.duration_s;
  if (in.queued_avg) v.cpu_wait_s = *in.queued_avg * d;
  v.lock_wait_s = in.runtime_lock_s + (in.mutex_waiters_avg ? *in.mutex_waiters_avg * d : 0);

  if (!in.idle_frac || !in.queued_avg || d <= 0) {
    v.cpu.result = "inconclusive";
    v.cpu.evidence = "no run-queue snapshots: " +
                     (in.snapshots_missing.empty() ? std::string("no sample") : in.snapshots_missing);
  } else {
    bool busy = *in.idle_frac < kBusyIdleFrac;
    bool queued = *in.queued_avg >= kQueuedMin;
    bool more_cpu = v.cpu_wait_s >= v.lock_wait_s;
    v.cpu.result = busy && queued && more_cpu ? "verified" : "refuted";
    v.cpu.evidence = fmt::format(
        "Ps idle {:.0f}% of the time (busy: under {:.0f}%), {:.2f} runnable goroutines queued "
        "for a P on average (queued: at least {}); {:.2f} goroutine-s waiting for a P vs {:.2f} "
        "waiting on locks",
        *in.idle_frac * 100, kBusyIdleFrac * 100, *in.queued_avg, kQueuedMin, v.cpu_wait_s,
        v.lock_wait_s);
  }

  bool lock_data = in.mutex_waiters_avg.has_value();
  double lock_min = kLockWaitersMin * d;
  if (d <= 0 || (!lock_data && in.runtime_lock_s < lock_min)) {
    v.lock.result = "inconclusive";
    v.lock.evidence = fmt::format(
        "no goroutine census ({}), and threads blocked {:.2f} s in runtime locks",
        in.census_missing.empty() ? "no sample" : in.census_missing, in.runtime_lock_s);
  } else {
    bool waits = v.lock_wait_s >= lock_min;
    bool more_lock = v.lock_wait_s > v.cpu_wait_s;
    v.lock.result = waits && more_lock ? "verified" : "refuted";
    v.lock.evidence = fmt::format(
        "{:.2f} goroutine-s waiting on locks ({} goroutines parked on sync mutexes on average, "
        "{:.2f} thread-s in runtime locks; contended: at least {:.2f}, {} per second of the "
        "run) vs {:.2f} goroutine-s waiting for a P",
        v.lock_wait_s,
        lock_data ? fmt::format("{:.2f}", *in.mutex_waiters_avg) : std::string("no census:"),
        in.runtime_lock_s, lock_min, kLockWaitersMin, v.cpu_wait_s);
  }
  return v;
}

}  // namespace gri::exp::sched
