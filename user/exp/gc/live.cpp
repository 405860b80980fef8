#include "exp/gc/live.h"

#include <algorithm>

#include <fmt/format.h>

namespace gri::exp::gc {

namespace {

std::string mib(const std::optional<uint64_t>& bytes) {
  return bytes ? fmt::format("{:.1f}", static_cast<double>(*bytes) / (1 << 20)) : "-";
}

}  // namespace

std::string live_header() {
  return fmt::format("{:>8} {:>7} {:>7} {:>9} {:>9} {:>11}", "time s", "cycles", "total",
                     "heap MiB", "goal MiB", "STW max us");
}

std::string live_line(const GcLiveRow& r) {
  return fmt::format("{:>8.1f} {:>7} {:>7} {:>9} {:>9} {:>11}", r.elapsed_s, r.cycles, r.total,
                     mib(r.heap_live), mib(r.heap_goal),
                     r.stw_max_us ? fmt::format("{:.0f}", *r.stw_max_us) : "-");
}

GcLiveRow GcLiveState::next(const GcCounts& now, double elapsed_s) {
  GcLiveRow row;
  row.elapsed_s = elapsed_s;
  row.cycles = now.cycles - std::min(now.cycles, cycles_);
  row.total = now.cycles;
  cycles_ = now.cycles;
  for (size_t i = events_; i < now.cycle_events.size(); i++) {
    const GcCycle& c = now.cycle_events[i];
    // Sweep termination (t_sweep_term -> t_mark) and mark termination (t_mark_term -> t_end).
    double stw = static_cast<double>(std::max(c.t_mark - c.t_sweep_term, c.t_end - c.t_mark_term));
    row.stw_max_us = std::max(row.stw_max_us.value_or(0), stw / 1e3);
    heap_live_ = c.heap2;
    heap_goal_ = c.heap_goal;
  }
  events_ = std::max(events_, now.cycle_events.size());
  row.heap_live = heap_live_;
  row.heap_goal = heap_goal_;
  return row;
}

GcLive::GcLive(const GcCounter& counter, const session::TargetOptions& o)
    : counter_(counter),
      interval_s_(o.live_interval_s),
      lines_(session::live_stream(o.command_stdout), live_header()) {}

session::Ticker GcLive::ticker() {
  return {interval_s_, [this](double elapsed_s) {
            // A failed read leaves the interval to the next line (deltas stay whole).
            if (auto now = counter_.read()) lines_.print(live_line(state_.next(*now, elapsed_s)));
          }};
}

void GcLive::finish(const GcCounts& final, double elapsed_s) {
  if (!interval_s_) return;
  lines_.print(live_line(state_.next(final, elapsed_s)));
}

}  // namespace gri::exp::gc
