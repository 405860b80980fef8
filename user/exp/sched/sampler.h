// EXP-01's sampling side: P snapshots (snapshot::Snapshotter, schedtrace's fields) and the
// goroutine census, taken together at a rate on a thread of gri while the session runs, and
// summed as they come. Nothing of this runs in the target: it only reads its memory.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "exp/sched/census.h"
#include "exp/sched/timeline.h"
#include "snapshot/snapshot.h"

namespace gri::exp::sched {

struct PSummary {
  int32_t id = 0;
  uint64_t samples = 0;
  uint64_t runq_sum = 0;  // local queue + runnext, summed over samples
  uint32_t runq_max = 0;
  // The local queue alone (runqtail - runqhead), as schedtrace prints runqsize.
  uint64_t runq_only_sum = 0;
  uint64_t status[snapshot::kMaxPStatus + 1] = {};  // samples per p.status
  uint64_t schedticks = 0;  // p.schedtick advanced by this much between samples
  std::optional<uint32_t> last_tick;
};

// Snapshots over time, for charts: each point the average of `samples` consecutive
// snapshots. Every snapshot is a point until there are kMaxPoints; then neighbours are merged
// in pairs, so a run of any length keeps at most kMaxPoints evenly spread.
struct SeriesPoint {
  uint64_t mono_ns = 0;  // the first snapshot's CLOCK_MONOTONIC
  uint32_t samples = 0;
  double idle_ps = 0;
  double queued = 0;  // local run queues + runnext + global
  double global_runq = 0;
  double spinning_ms = 0;

  void merge(const SeriesPoint& next);
};

class Series {
 public:
  static constexpr size_t kMaxPoints = 1024;
  void add(const SeriesPoint& one);
  const std::vector<SeriesPoint>& points() const { return points_; }

 private:
  std::vector<SeriesPoint> points_;
  uint32_t per_point_ = 1;  // snapshots a point holds once complete
};

struct SampleSummary {
  uint64_t samples = 0;
  uint64_t late = 0;
  uint64_t torn = 0;
  uint64_t read_ns = 0;
  std::map<int32_t, PSummary> ps;
  uint64_t global_sum = 0;
  int32_t global_max = 0;
  uint64_t npidle_sum = 0;
  uint64_t nmspinning_sum = 0;
  uint64_t queued_sum = 0;  // local_runnable() + global, per sample
  int32_t gomaxprocs = 0;   // the last one seen
  Series series;
  PTimeline p_timeline;  // every snapshot's Ps, for --perfetto (timeline.h)
  std::string snapshots_missing;  // why there are no samples (when there are none)
  std::optional<uint64_t> load_bias;  // of the process's Go binary, once it was read
  // The census, taken with every snapshot while it works.
  uint64_t census_samples = 0;
  uint64_t mutex_waiting_sum = 0;
  uint64_t runnable_sum = 0;
  uint32_t mutex_waiting_max = 0;
  std::vector<std::string> mutex_reasons;
  std::string census_missing;

  void add(const snapshot::RuntimeSnapshot& s);
  void add(const GoroutineCounts& c);
};

// Samples the process at rate_hz on its own thread from construction until stop(): it waits
// for the runtime to be readable (a launched command has not run yet when this starts).
class Sampler {
 public:
  Sampler(pid_t pid, double rate_hz);
  ~Sampler();
  // Stops and joins the thread; the summary is final then.
  const SampleSummary& stop();

 private:
  void run(std::stop_token stop);

  pid_t pid_;
  double rate_hz_;
  SampleSummary summary_;
  std::jthread thread_;
};

}  // namespace gri::exp::sched
