// EXP-01's timeline (--perfetto), from the P snapshots (their CLOCK_MONOTONIC times): a track
// per P with its status as slices (sampled: a run of equal statuses from the first snapshot
// that saw it to the first that saw another) and its run queue length as a counter; the
// scheduler's idle Ps, spinning Ms, global run queue and queued goroutines as counters.
// sched has no per-thread timing (its thread times are totals), so threads get no tracks.
#pragma once

#include <cstdint>
#include <vector>

#include "report/timeline.h"
#include "snapshot/snapshot.h"

namespace gri::exp::sched {

struct SampleSummary;  // sampler.h, which keeps a PTimeline

// The Ps of every snapshot, kept as they come up to a bound.
class PTimeline {
 public:
  // Per-P entries kept (P x snapshot): 8 Ps at 100 Hz for over 5 minutes, 6 MiB.
  static constexpr size_t kMaxEntries = 256 * 1024;

  void add(const snapshot::RuntimeSnapshot& s);
  // Snapshots whose Ps were not kept: the bound was reached.
  uint64_t dropped_snapshots() const { return dropped_; }

  struct Entry {
    uint64_t mono_ns = 0;
    int32_t id = 0;
    uint32_t status = 0;
    int32_t runq = -1;  // local queue + runnext; -1 when the P's read was torn
  };
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<Entry> entries_;
  uint64_t dropped_ = 0;
};

// Adds the Ps' tracks and counters (from summary.p_timeline) and the scheduler's counters
// (from summary.series) to `t`.
void add_timeline(const SampleSummary& summary, report::Timeline& t);

}  // namespace gri::exp::sched
