// EXP-03's timeline (--perfetto): every steal that took goroutines, from the BPF ring
// `timeline` (bpf/steal.h), as a flow from the victim P's track (when runqgrab was called)
// to the thief P's (when its result was read).
#pragma once

#include <cstdint>
#include <vector>

#include "report/report.h"
#include "report/timeline.h"

namespace gri::exp::steal {

struct StealEvent {
  uint64_t entry_ns = 0;  // runqgrab called
  uint64_t ktime_ns = 0;  // its result read
  int32_t thief = -1;     // P ids, -1 unreadable
  int32_t victim = -1;
  uint32_t n = 0;         // goroutines taken
  uint32_t tid = 0;       // the thief's thread
};

struct StealEvents {
  // Records kept in user space: 8 MiB. Past it they are counted in `lost` too.
  static constexpr size_t kMaxEvents = 256 * 1024;
  std::vector<StealEvent> events;
  uint64_t lost = 0;      // did not fit the ring (BPF) or kMaxEvents (here)
  bool recorded = false;  // the ring was attached
};

// Adds the steals to `t` (a track per P, an instant at each end, a flow from victim to
// thief), their counts to r.data["timeline"], the lost records to r.lost_events and, when
// there are any, a note.
void report_timeline(const StealEvents& e, report::Report& r);

}  // namespace gri::exp::steal
