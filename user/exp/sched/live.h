// gri sched -i SECONDS: one line per interval while the session runs. The Ps' figures are
// averages over snapshots taken during the interval (a light sampler of its own: the Ps and
// the scheduler's counters, no goroutine census); the runnable thread time is the delta of
// the sched_switch accounting the report reads, so the lines add up to the report's.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>

#include "exp/sched/sched_probes.h"
#include "session/session.h"
#include "session/traced.h"
#include "snapshot/snapshot.h"

namespace gri::exp::sched {

// Snapshot sums of one interval.
struct LiveSums {
  uint64_t samples = 0;
  uint64_t npidle = 0;
  uint64_t nmspinning = 0;
  uint64_t queued = 0;  // global run queue + the Ps' local queues and runnext
  int32_t gomaxprocs = 0;
  void add(const snapshot::RuntimeSnapshot& s);
};

struct SchedLiveRow {
  double elapsed_s = 0;
  LiveSums sums;
  uint64_t runnable_ns = 0;  // thread time runnable, waiting for a CPU, in the interval
};

std::string live_header();
std::string live_line(const SchedLiveRow& row);

// The sum of runq_ns over the threads: runnable thread time so far.
uint64_t runnable_ns(const SchedCounts& counts);

class SchedLive {
 public:
  // Starts its sampler (at rate_hz, at most 100 Hz) only when the options ask for lines (-i).
  SchedLive(const SchedProbes& probes, pid_t pid, const session::TargetOptions& options,
            double rate_hz);
  ~SchedLive();
  session::Ticker ticker();
  // The last interval; the runnable time from the read the report is made of.
  void finish(const SchedCounts& final, double elapsed_s);

 private:
  void sample(std::stop_token stop);
  LiveSums take_sums();
  void print(uint64_t runnable_now, double elapsed_s);

  const SchedProbes& probes_;
  pid_t pid_;
  std::optional<double> interval_s_;
  double rate_hz_;
  session::LiveLines lines_;
  std::mutex mu_;
  LiveSums sums_;
  uint64_t runnable_ns_ = 0;
  std::jthread thread_;
};

}  // namespace gri::exp::sched
