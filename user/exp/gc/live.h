// gri gc -i SECONDS: one line per interval while the session runs, from the same counter
// the report reads (completed cycles, and the cycle events gcMarkTermination sent), so the
// lines' cycles add up to the report's.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

#include "exp/gc/gc_counter.h"
#include "session/session.h"
#include "session/traced.h"

namespace gri::exp::gc {

struct GcLiveRow {
  double elapsed_s = 0;
  uint64_t cycles = 0;  // completed in the interval (gcMarkTermination calls)
  uint64_t total = 0;   // completed since the session started
  // Of the last cycle whose event was read: heap marked (live) and the goal, in bytes.
  std::optional<uint64_t> heap_live, heap_goal;
  // The longest of the two GC stop-the-world pauses of the interval's cycles; none without a
  // cycle event in the interval.
  std::optional<double> stw_max_us;
};

std::string live_header();
std::string live_line(const GcLiveRow& row);

// Successive reads of the counter to rows; the reads are cumulative.
class GcLiveState {
 public:
  GcLiveRow next(const GcCounts& now, double elapsed_s);

 private:
  uint64_t cycles_ = 0;
  size_t events_ = 0;
  std::optional<uint64_t> heap_live_, heap_goal_;
};

// Prints the lines while the session runs when the options ask for them (-i), else nothing.
class GcLive {
 public:
  GcLive(const GcCounter& counter, const session::TargetOptions& options);
  // For run_session: reads the counter and prints a line each interval.
  session::Ticker ticker();
  // The last interval, from the read the report is made of.
  void finish(const GcCounts& final, double elapsed_s);

 private:
  const GcCounter& counter_;
  std::optional<double> interval_s_;
  session::LiveLines lines_;
  GcLiveState state_;
};

}  // namespace gri::exp::gc
