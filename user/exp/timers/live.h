// gri timers -i SECONDS: one line per interval while the session runs, from the BPF maps the
// report reads: timer operations per second (every timer, the program's and the runtime's
// own), the interval's lateness median, and the operations so far, whose last value is the
// report's total (data.ops: the program's + runtime + unnamed).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "exp/timers/probes.h"
#include "session/session.h"
#include "session/traced.h"

namespace gri::exp::timers {

struct TimersLiveRow {
  double elapsed_s = 0;
  double seconds = 0;              // the interval's length
  std::array<uint64_t, kOps> ops{};  // in the interval, by Op
  std::optional<double> late_p50_us;  // none without a timer run in the interval
  uint64_t total = 0;              // operations since the session started
};

std::string live_header();
std::string live_line(const TimersLiveRow& row);

// The middle, in us, of the lateness bucket that holds the median of `hist` (bucket -> runs).
std::optional<double> median_us(const std::map<uint32_t, uint64_t>& hist);

class TimersLiveState {
 public:
  TimersLiveRow next(const TimersCounts& now, double elapsed_s);

 private:
  std::array<uint64_t, kOps> ops_{};
  std::map<uint32_t, uint64_t> late_;
  double last_s_ = 0;
};

class TimersLive {
 public:
  TimersLive(const TimersProbes& probes, const session::TargetOptions& options);
  session::Ticker ticker();
  // The last interval, from the read the report is made of.
  void finish(const TimersCounts& final, double elapsed_s);

 private:
  const TimersProbes& probes_;
  std::optional<double> interval_s_;
  session::LiveLines lines_;
  TimersLiveState state_;
};

}  // namespace gri::exp::timers
