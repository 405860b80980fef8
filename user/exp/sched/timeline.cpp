#include "exp/sched/timeline.h"

#include "exp/sched/sampler.h"

#include <map>
#include <string>

#include <fmt/format.h>

namespace gri::exp::sched {

void PTimeline::add(const snapshot::RuntimeSnapshot& s) {
  if (entries_.size() + s.ps.size() > kMaxEntries) {
    ++dropped_;
    return;
  }
  for (const snapshot::PSample& p : s.ps) {
    int32_t q = p.runq_len ? static_cast<int32_t>(*p.runq_len + (p.runnext ? 1 : 0)) : -1;
    entries_.push_back({s.mono_ns, p.id, p.status, q});
  }
}

namespace {

struct PState {
  size_t track = 0;
  uint32_t status = 0;
  uint64_t since = 0;     // the first snapshot of the current status
  uint64_t last = 0;      // the latest snapshot seen
  uint64_t samples = 0;   // snapshots in the current status
  int32_t runq = -2;      // the latest run queue length emitted (-2: none yet)
  uint64_t runq_at = 0;   // and the latest snapshot's, to end the counter's last step
  int32_t runq_last = -1;
};

}  // namespace

void add_timeline(const SampleSummary& summary, report::Timeline& t) {
  const PTimeline& pt = summary.p_timeline;
  std::map<int32_t, PState> ps;
  auto end_status = [&](PState& s, uint64_t end) {
    t.slices.push_back({s.track, static_cast<int64_t>(s.since), static_cast<int64_t>(end - s.since),
                        std::string(snapshot::p_status_name(s.status)), "sched.p",
                        {{"snapshots", s.samples}}});
  };
  for (const PTimeline::Entry& e : pt.entries()) {
    auto [it, added] = ps.try_emplace(e.id);
    PState& s = it->second;
    if (added) {
      s.track = t.track("Ps", fmt::format("P{}", e.id));
      s.status = e.status;
      s.since = e.mono_ns;
    } else if (e.status != s.status) {
      end_status(s, e.mono_ns);
      s.status = e.status;
      s.since = e.mono_ns;
      s.samples = 0;
    }
    ++s.samples;
    s.last = e.mono_ns;
    // The run queue as a step line: a point where it changed (torn reads are skipped).
    if (e.runq >= 0) {
      if (e.runq != s.runq) {
        t.counters.push_back({"Ps", fmt::format("P{} run queue", e.id),
                              static_cast<int64_t>(e.mono_ns), static_cast<double>(e.runq)});
        s.runq = e.runq;
      }
      s.runq_at = e.mono_ns;
      s.runq_last = e.runq;
    }
  }
  for (auto& [id, s] : ps) {
    end_status(s, s.last);
    // The last value again at the last snapshot, so the line ends where the samples do.
    if (s.runq_last >= 0) {
      t.counters.push_back({"Ps", fmt::format("P{} run queue", id), static_cast<int64_t>(s.runq_at),
                            static_cast<double>(s.runq_last)});
    }
  }
  // The scheduler's figures; each point the average of consecutive snapshots (Series).
  for (const SeriesPoint& p : summary.series.points()) {
    auto ts = static_cast<int64_t>(p.mono_ns);
    t.counters.push_back({"scheduler", "idle Ps", ts, p.idle_ps});
    t.counters.push_back({"scheduler", "spinning Ms", ts, p.spinning_ms});
    t.counters.push_back({"scheduler", "global run queue", ts, p.global_runq});
    t.counters.push_back({"scheduler", "queued goroutines (local + global)", ts, p.queued});
  }
  t.dropped_events += pt.dropped_snapshots();
}

}  // namespace gri::exp::sched
