#include "exp/preempt/timeline.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

namespace gri::exp::preempt {

uint64_t add_timeline(const PreemptEvents& e, report::Timeline& t) {
  // The ring holds records in the order their reservations were made, across CPUs: close to
  // time order, not exactly. Pairing needs time order.
  std::vector<PreemptEvent> events = e.events;
  std::stable_sort(events.begin(), events.end(),
                   [](const PreemptEvent& a, const PreemptEvent& b) {
                     return a.ktime_ns < b.ktime_ns;
                   });
  auto thread = [&](uint32_t tid) { return t.track("threads", fmt::format("tid {}", tid)); };
  std::map<uint32_t, size_t> pending;  // receiving thread -> its latest SIGURG's instant
  uint64_t flows = 0;
  for (const PreemptEvent& ev : events) {
    auto ts = static_cast<int64_t>(ev.ktime_ns);
    if (ev.kind == PreemptEvent::Kind::kSigurg) {
      // On the sender's track: sysmon's thread (retake -> preemptone -> signalM) or the
      // thread stopping the world.
      t.instants.push_back({thread(ev.peer), ts, fmt::format("SIGURG -> tid {}", ev.tid), "preempt",
                            {{"to_tid", ev.tid}, {"from_tid", ev.peer}}});
      pending[ev.tid] = t.instants.size() - 1;
    } else {
      nlohmann::ordered_json args = {{"tid", ev.tid}};
      if (ev.p >= 0) args["p"] = ev.p;
      t.instants.push_back({thread(ev.tid), ts,
                            ev.p >= 0 ? fmt::format("asyncPreempt2 (P{})", ev.p) : "asyncPreempt2",
                            "preempt", std::move(args)});
      if (auto it = pending.find(ev.tid); it != pending.end()) {
        t.flows.push_back(
            {"SIGURG -> async preemption", "preempt", it->second, t.instants.size() - 1});
        pending.erase(it);
        ++flows;
      }
    }
  }
  t.dropped_events += e.lost;
  return flows;
}

void report_timeline(const PreemptEvents& e, report::Report& r) {
  if (!e.recorded) return;
  uint64_t flows = add_timeline(e, r.timeline);
  uint64_t sigurg = 0;
  for (const PreemptEvent& ev : e.events) sigurg += ev.kind == PreemptEvent::Kind::kSigurg;
  r.data["timeline"] = {{"sigurg", sigurg},
                        {"async_preemptions", e.events.size() - sigurg},
                        {"signal_to_preemption_flows", flows},
                        {"lost", e.lost}};
  r.lost_events += e.lost;
  if (e.lost) {
    r.notes.push_back(fmt::format("timeline: {} SIGURG and async preemption records did not fit "
                                  "the ring and are missing from --perfetto",
                                  e.lost));
  }
}

}  // namespace gri::exp::preempt
