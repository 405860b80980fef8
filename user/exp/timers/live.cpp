#include "exp/timers/live.h"

#include <algorithm>

#include <fmt/format.h>

namespace gri::exp::timers {

std::string live_header() {
  return fmt::format("{:>8} {:>9} {:>9} {:>9} {:>9} {:>12} {:>10}", "time s", "add/s", "mod/s",
                     "del/s", "run/s", "late p50 us", "ops total");
}

std::string live_line(const TimersLiveRow& r) {
  double s = r.seconds > 0 ? r.seconds : 1;
  auto rate = [&](int op) { return static_cast<double>(r.ops[op]) / s; };
  return fmt::format("{:>8.1f} {:>9.0f} {:>9.0f} {:>9.0f} {:>9.0f} {:>12} {:>10}", r.elapsed_s,
                     rate(0), rate(1), rate(2), rate(3),
                     r.late_p50_us ? fmt::format("{:.1f}", *r.late_p50_us) : "-", r.total);
}

std::optional<double> median_us(const std::map<uint32_t, uint64_t>& hist) {
  uint64_t total = 0;
  for (const auto& [b, n] : hist) total += n;
  if (!total) return std::nullopt;
  uint64_t want = (total + 1) / 2, seen = 0;
  for (const auto& [b, n] : hist) {
    seen += n;
    if (seen >= want) {
      auto [lo, width] = late_bucket_range(b);
      return (static_cast<double>(lo) + static_cast<double>(width) / 2) / 1e3;
    }
  }
  return std::nullopt;
}

TimersLiveRow TimersLiveState::next(const TimersCounts& now, double elapsed_s) {
  TimersLiveRow row;
  row.elapsed_s = elapsed_s;
  row.seconds = elapsed_s - last_s_;
  last_s_ = elapsed_s;
  std::array<uint64_t, kOps> ops{};
  for (const auto& [key, n] : now.ops) {
    int op = std::get<0>(key);
    if (op >= 0 && op < kOps) ops[op] += n;
  }
  for (int i = 0; i < kOps; i++) {
    row.ops[i] = ops[i] - std::min(ops[i], ops_[i]);
    row.total += ops[i];
  }
  ops_ = ops;
  std::map<uint32_t, uint64_t> late, interval;
  for (const auto& [key, n] : now.late) late[key.second] += n;
  for (const auto& [b, n] : late) {
    auto it = late_.find(b);
    uint64_t before = it == late_.end() ? 0 : it->second;
    if (n > before) interval[b] = n - before;
  }
  late_ = std::move(late);
  row.late_p50_us = median_us(interval);
  return row;
}

TimersLive::TimersLive(const TimersProbes& probes, const session::TargetOptions& o)
    : probes_(probes),
      interval_s_(o.live_interval_s),
      lines_(session::live_stream(o.command_stdout), live_header()) {}

session::Ticker TimersLive::ticker() {
  return {interval_s_, [this](double elapsed_s) {
            // A failed read leaves the interval's operations to the next line.
            if (auto now = probes_.read()) lines_.print(live_line(state_.next(*now, elapsed_s)));
          }};
}

void TimersLive::finish(const TimersCounts& final, double elapsed_s) {
  if (!interval_s_) return;
  lines_.print(live_line(state_.next(final, elapsed_s)));
}

}  // namespace gri::exp::timers
