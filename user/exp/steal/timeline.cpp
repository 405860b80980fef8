#include "exp/steal/timeline.h"

#include <fmt/format.h>

namespace gri::exp::steal {

void report_timeline(const StealEvents& e, report::Report& r) {
  if (!e.recorded) return;
  report::Timeline& t = r.timeline;
  auto p_track = [&](int32_t p) { return t.track("Ps", p >= 0 ? fmt::format("P{}", p) : "P?"); };
  uint64_t stolen = 0;
  for (const StealEvent& s : e.events) {
    stolen += s.n;
    nlohmann::ordered_json args = {{"thief", s.thief}, {"victim", s.victim}, {"goroutines", s.n},
                                   {"thief_tid", s.tid}};
    t.instants.push_back({p_track(s.victim), static_cast<int64_t>(s.entry_ns),
                          fmt::format("stolen by P{}: {}", s.thief, s.n), "steal", args});
    t.instants.push_back({p_track(s.thief), static_cast<int64_t>(s.ktime_ns),
                          fmt::format("stole {} from P{}", s.n, s.victim), "steal",
                          std::move(args)});
    t.flows.push_back({"steal", "steal", t.instants.size() - 2, t.instants.size() - 1});
  }
  r.data["timeline"] = {{"steals", e.events.size()}, {"goroutines", stolen}, {"lost", e.lost}};
  r.lost_events += e.lost;
  t.dropped_events += e.lost;
  if (e.lost) {
    r.notes.push_back(fmt::format("timeline: {} steal records were lost (ring or gri's bound "
                                  "full) and are missing from --perfetto",
                                  e.lost));
  }
}

}  // namespace gri::exp::steal
