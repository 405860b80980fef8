#include "exp/sched/sampler.h"

#include <algorithm>
#include <chrono>

#include "probe/process_image.h"

namespace gri::exp::sched {

void SeriesPoint::merge(const SeriesPoint& next) {
  double a = samples, b = next.samples, n = a + b;
  idle_ps = (idle_ps * a + next.idle_ps * b) / n;
  queued = (queued * a + next.queued * b) / n;
  global_runq = (global_runq * a + next.global_runq * b) / n;
  spinning_ms = (spinning_ms * a + next.spinning_ms * b) / n;
  samples += next.samples;
}

void Series::add(const SeriesPoint& one) {
  if (!points_.empty() && points_.back().samples < per_point_) {
    points_.back().merge(one);
    return;
  }
  if (points_.size() == kMaxPoints) {  // full: halve it
    for (size_t i = 0; i < kMaxPoints / 2; i++) {
      points_[i] = points_[2 * i];
      points_[i].merge(points_[2 * i + 1]);
    }
    points_.resize(kMaxPoints / 2);
    per_point_ *= 2;
    if (points_.back().samples < per_point_) {
      points_.back().merge(one);
      return;
    }
  }
  points_.push_back(one);
}

void SampleSummary::add(const snapshot::RuntimeSnapshot& s) {
  ++samples;
  p_timeline.add(s);
  series.add({s.mono_ns, 1, static_cast<double>(std::max(0, s.npidle)),
              static_cast<double>(s.local_runnable() + static_cast<uint64_t>(std::max(0, s.global_runq))),
              static_cast<double>(std::max(0, s.global_runq)),
              static_cast<double>(std::max(0, s.nmspinning))});
  torn += s.torn;
  read_ns += s.read_ns;
  gomaxprocs = s.gomaxprocs;
  global_sum += static_cast<uint64_t>(std::max(0, s.global_runq));
  global_max = std::max(global_max, s.global_runq);
  npidle_sum += static_cast<uint64_t>(std::max(0, s.npidle));
  nmspinning_sum += static_cast<uint64_t>(std::max(0, s.nmspinning));
  queued_sum += s.local_runnable() + static_cast<uint64_t>(std::max(0, s.global_runq));
  for (const snapshot::PSample& p : s.ps) {
    PSummary& sum = ps[p.id];
    sum.id = p.id;
    if (sum.last_tick) sum.schedticks += static_cast<uint32_t>(p.schedtick - *sum.last_tick);
    sum.last_tick = p.schedtick;
    if (p.status <= snapshot::kMaxPStatus) ++sum.status[p.status];
    if (!p.runq_len) continue;  // torn: its queue length is unknown
    ++sum.samples;
    uint32_t q = *p.runq_len + (p.runnext ? 1 : 0);
    sum.runq_sum += q;
    sum.runq_only_sum += *p.runq_len;
    sum.runq_max = std::max(sum.runq_max, q);
  }
}

void SampleSummary::add(const GoroutineCounts& c) {
  ++census_samples;
  mutex_waiting_sum += c.mutex_waiting;
  mutex_waiting_max = std::max(mutex_waiting_max, c.mutex_waiting);
  runnable_sum += c.runnable;
}

Sampler::Sampler(pid_t pid, double rate_hz)
    : pid_(pid), rate_hz_(rate_hz), thread_([this](std::stop_token st) { run(st); }) {}

Sampler::~Sampler() { stop(); }

const SampleSummary& Sampler::stop() {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
  return summary_;
}

void Sampler::run(std::stop_token stop) {
  using namespace std::chrono_literals;
  // Until the process runs its Go binary with Ps set up: a launched command is held before
  // exec when this starts, and the runtime fills allp during schedinit.
  std::optional<snapshot::Snapshotter> snap;
  std::optional<GoroutineCensus> census;
  summary_.snapshots_missing = "the target exited before its runtime could be read";
  while (!stop.stop_requested()) {
    auto image = probe::open_process_image(pid_);
    if (image) {
      summary_.load_bias = image->load_bias;
      goelf::RuntimeLayout layout = goelf::resolve_layout(image->bin);
      auto s = snapshot::Snapshotter::create(
          layout, image->load_bias, std::make_unique<snapshot::ProcessMemory>(pid_),
          "PID " + std::to_string(pid_) + " (" + image->exe + ")");
      if (Status st = s.available(); !st) {
        summary_.snapshots_missing = st.error().message;
      } else if (auto first = s.take(); first && first->allp_len > 0) {
        snap.emplace(std::move(s));
        auto c = GoroutineCensus::create(layout, image->load_bias,
                                         std::make_unique<snapshot::ProcessMemory>(pid_));
        if (c) {
          census.emplace(std::move(*c));
          summary_.mutex_reasons = census->mutex_reasons();
        } else {
          summary_.census_missing = c.error().message;
        }
        break;
      } else if (!first) {
        summary_.snapshots_missing = first.error().message;
      }
      // A layout without what a snapshot needs stays so: no use trying again.
      if (!s.available()) {
        summary_.census_missing = summary_.snapshots_missing;
        return;
      }
    }
    std::this_thread::sleep_for(10ms);
  }
  if (!snap) return;
  summary_.snapshots_missing.clear();
  auto stats = snap->sample(rate_hz_, std::chrono::nanoseconds::max(), stop,
                            [&](const snapshot::RuntimeSnapshot& s) {
                              summary_.add(s);
                              if (census) {
                                auto c = census->take();
                                if (c) {
                                  summary_.add(*c);
                                } else if (summary_.census_missing.empty()) {
                                  summary_.census_missing = c.error().message;
                                }
                              }
                              return true;
                            });
  if (stats) {
    summary_.late = stats->late;
  } else if (summary_.samples == 0) {
    summary_.snapshots_missing = stats.error().message;
  }
}

}  // namespace gri::exp::sched
