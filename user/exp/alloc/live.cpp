#include "exp/alloc/live.h"

#include <fmt/format.h>

namespace gri::exp::alloc {

namespace {

int64_t delta(uint64_t now, uint64_t before) {
  return static_cast<int64_t>(now) - static_cast<int64_t>(before);
}

}  // namespace

std::string live_header() {
  return fmt::format("{:>8} {:>12} {:>9} {:>10} {:>8}", "time s", "objects/s", "MiB/s", "tiny",
                     "large");
}

std::string live_line(const AllocLiveRow& r) {
  if (!r.read) {
    return fmt::format("{:>8.1f} {:>12} {:>9} {:>10} {:>8}", r.elapsed_s, "-", "-", "-", "-");
  }
  double s = r.seconds > 0 ? r.seconds : 1;
  return fmt::format("{:>8.1f} {:>12.0f} {:>9.1f} {:>10} {:>8}", r.elapsed_s,
                     static_cast<double>(r.objects) / s,
                     static_cast<double>(r.bytes) / s / (1 << 20), r.tiny, r.large);
}

AllocLiveRow AllocLiveState::next(const std::optional<HeapCounts>& now, double elapsed_s) {
  AllocLiveRow row;
  row.elapsed_s = elapsed_s;
  if (!now) return row;
  if (!last_ && !from_zero_) {
    last_ = now;
    last_s_ = elapsed_s;
    return row;
  }
  row.read = true;
  row.seconds = elapsed_s - last_s_;
  last_s_ = elapsed_s;
  HeapCounts zero;
  const HeapCounts& before = last_ ? *last_ : zero;
  row.tiny = delta(now->tiny_allocs, before.tiny_allocs);
  row.large = delta(now->large_objects, before.large_objects);
  row.objects = row.tiny + row.large;
  row.bytes = delta(now->large_bytes, before.large_bytes);
  for (size_t c = 1; c < now->small.size(); c++) {
    int64_t n = delta(now->small[c], c < before.small.size() ? before.small[c] : 0);
    row.objects += n;
    if (c < classes_.count()) row.bytes += n * static_cast<int64_t>(classes_.size[c]);
  }
  last_ = now;
  return row;
}

AllocLive::AllocLive(pid_t pid, const SizeClasses& classes, const session::TargetOptions& o)
    : pid_(pid),
      classes_(classes),
      interval_s_(o.live_interval_s),
      lines_(session::live_stream(o.command_stdout), live_header()) {
  if (!interval_s_) return;
  // A launched command has allocated nothing yet: its lines count from zero.
  state_.emplace(classes_, o.pid ? read() : std::nullopt, !o.pid);
}

std::optional<HeapCounts> AllocLive::read() {
  if (!reader_) {
    auto r = HeapStatsReader::open(pid_, classes_);
    if (!r) return std::nullopt;  // not yet: a launched command's runtime is not up
    reader_.emplace(std::move(*r));
  }
  auto c = reader_->read();
  if (!c) return std::nullopt;
  return *c;
}

session::Ticker AllocLive::ticker() {
  return {interval_s_,
          [this](double elapsed_s) { lines_.print(live_line(state_->next(read(), elapsed_s))); }};
}

void AllocLive::finish(const std::optional<HeapCounts>& final, double elapsed_s) {
  if (!interval_s_) return;
  lines_.print(live_line(state_->next(final, elapsed_s)));
}

}  // namespace gri::exp::alloc
