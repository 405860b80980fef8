#include "exp/sched/live.h"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

namespace gri::exp::sched {

namespace {

constexpr double kMaxLiveRateHz = 100;

std::string avg(uint64_t sum, uint64_t n) {
  return n ? fmt::format("{:.1f}", static_cast<double>(sum) / static_cast<double>(n)) : "-";
}

}  // namespace

void LiveSums::add(const snapshot::RuntimeSnapshot& s) {
  samples++;
  npidle += static_cast<uint64_t>(std::max(0, s.npidle));
  nmspinning += static_cast<uint64_t>(std::max(0, s.nmspinning));
  queued += s.local_runnable() + static_cast<uint64_t>(std::max(0, s.global_runq));
  gomaxprocs = s.gomaxprocs;
}

std::string live_header() {
  return fmt::format("{:>8} {:>5} {:>8} {:>7} {:>9} {:>12} {:>6}", "time s", "Ps", "idle Ps",
                     "queued", "spinning", "runnable ms", "snaps");
}

std::string live_line(const SchedLiveRow& r) {
  const LiveSums& s = r.sums;
  return fmt::format("{:>8.1f} {:>5} {:>8} {:>7} {:>9} {:>12.1f} {:>6}", r.elapsed_s,
                     s.gomaxprocs > 0 ? std::to_string(s.gomaxprocs) : "-",
                     avg(s.npidle, s.samples), avg(s.queued, s.samples),
                     avg(s.nmspinning, s.samples), static_cast<double>(r.runnable_ns) / 1e6,
                     s.samples);
}

uint64_t runnable_ns(const SchedCounts& counts) {
  uint64_t ns = 0;
  for (const ThreadTimes& t : counts.threads) ns += t.runq_ns;
  return ns;
}

SchedLive::SchedLive(const SchedProbes& probes, pid_t pid, const session::TargetOptions& o,
                     double rate_hz)
    : probes_(probes),
      pid_(pid),
      interval_s_(o.live_interval_s),
      rate_hz_(std::min(rate_hz, kMaxLiveRateHz)),
      lines_(session::live_stream(o.command_stdout), live_header()) {
  if (interval_s_) thread_ = std::jthread([this](std::stop_token stop) { sample(stop); });
}

SchedLive::~SchedLive() {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
}

void SchedLive::sample(std::stop_token stop) {
  using namespace std::chrono_literals;
  // A launched command is held, or still gri's fork, when this starts: wait until its Go
  // runtime has set up its Ps (as the report's Sampler does).
  std::optional<snapshot::Snapshotter> snap;
  while (!stop.stop_requested()) {
    if (auto s = snapshot::Snapshotter::open(pid_)) {
      if (!s->available()) return;  // a layout without what a snapshot needs stays so
      if (auto first = s->take(); first && first->allp_len > 0) {
        snap.emplace(std::move(*s));
        break;
      }
    }
    std::this_thread::sleep_for(10ms);
  }
  if (!snap) return;
  (void)snap->sample(rate_hz_, std::chrono::nanoseconds::max(), stop,
                     [&](const snapshot::RuntimeSnapshot& s) {
                       std::lock_guard lock(mu_);
                       sums_.add(s);
                       return true;
                     });
}

LiveSums SchedLive::take_sums() {
  std::lock_guard lock(mu_);
  LiveSums out = sums_;
  sums_ = {};
  sums_.gomaxprocs = out.gomaxprocs;
  return out;
}

void SchedLive::print(uint64_t runnable_now, double elapsed_s) {
  SchedLiveRow row;
  row.elapsed_s = elapsed_s;
  row.sums = take_sums();
  row.runnable_ns = runnable_now - std::min(runnable_now, runnable_ns_);
  runnable_ns_ = std::max(runnable_ns_, runnable_now);
  lines_.print(live_line(row));
}

session::Ticker SchedLive::ticker() {
  return {interval_s_, [this](double elapsed_s) {
            // A failed read leaves the thread time to the next line.
            auto counts = probes_.read();
            print(counts ? runnable_ns(*counts) : runnable_ns_, elapsed_s);
          }};
}

void SchedLive::finish(const SchedCounts& final, double elapsed_s) {
  if (!interval_s_) return;
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
  print(runnable_ns(final), elapsed_s);
}

}  // namespace gri::exp::sched
