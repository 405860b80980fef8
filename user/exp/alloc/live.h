// gri alloc -i SECONDS: one line per interval while the session runs: the allocation rate
// from the runtime's own counters (runtime.memstats.heapStats plus the mcaches' unpublished
// part, the report's source), read by a reader of its own at each tick. The last line comes
// from the report's last read, so the lines' tiny and large counts add up to the report's
// (from zero for a launched command, from the first read for -p).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "exp/alloc/heap_stats.h"
#include "session/session.h"
#include "session/traced.h"

namespace gri::exp::alloc {

struct AllocLiveRow {
  double elapsed_s = 0;
  double seconds = 0;  // the interval's length
  bool read = false;   // false: the counters could not be read (yet); the rest is empty
  // Deltas over the interval; signed, so that a read torn against an mcache's publication
  // is corrected by the next line and the lines still add up.
  int64_t objects = 0;  // small + tiny + large
  int64_t bytes = 0;    // small objects x their class size + large bytes
  int64_t tiny = 0;     // tiny allocations packed into a shared block
  int64_t large = 0;    // large objects
};

std::string live_header();
std::string live_line(const AllocLiveRow& row);

// Successive cumulative reads to rows. Deltas start from `base`; without one, from zero
// when `from_zero` (a launched command), else from the first read (whose row is empty).
class AllocLiveState {
 public:
  AllocLiveState(const SizeClasses& classes, std::optional<HeapCounts> base, bool from_zero)
      : classes_(classes), last_(std::move(base)), from_zero_(from_zero) {}
  // `now` none: the counters could not be read; the interval is carried to the next row.
  AllocLiveRow next(const std::optional<HeapCounts>& now, double elapsed_s);

 private:
  const SizeClasses& classes_;
  std::optional<HeapCounts> last_;
  bool from_zero_;
  double last_s_ = 0;
};

class AllocLive {
 public:
  // For -p, reads the counters once now: the lines count from here.
  AllocLive(pid_t pid, const SizeClasses& classes, const session::TargetOptions& options);
  session::Ticker ticker();
  // The last interval, from the read the report is made of.
  void finish(const std::optional<HeapCounts>& final, double elapsed_s);

 private:
  std::optional<HeapCounts> read();

  pid_t pid_;
  const SizeClasses& classes_;
  std::optional<double> interval_s_;
  session::LiveLines lines_;
  std::optional<HeapStatsReader> reader_;
  std::optional<AllocLiveState> state_;
};

}  // namespace gri::exp::alloc
