// EXP-01's charts: run queues, idle Ps and spinning Ms over time from the snapshots, and
// each P's run queue and states.
#include "exp/figures.h"

namespace gri::exp::sched {

Figures figures(const report::Report& r) {
  using report::svg::Series;
  Figures out;
  if (r.data.contains("series")) {
    const auto& s = r.data["series"];
    const auto& t = s.value("t_s", nlohmann::ordered_json::array());
    auto series = [&](const char* name, const char* key, bool dashed = false) {
      Series out{name, dashed};
      const auto& v = s.value(key, nlohmann::ordered_json::array());
      for (size_t i = 0; i < t.size() && i < v.size(); i++) out.points.push_back({t[i].get<double>(), v[i].get<double>()});
      return out;
    };
    out.push_back(with_id(
        "sched-over-time",
        report::svg::line_chart(
            "Run queues and idle Ps over time",
            fmt::format("{} points, each the average of {} snapshot(s): goroutines queued (every "
                        "P's local queue and runnext, plus the global queue), the global queue "
                        "alone, idle Ps and spinning Ms.",
                        t.size(), s.value("snapshots_per_point", 0)),
            {"seconds since the first snapshot", "count", true},
            {series("queued", "queued"), series("global run queue", "global_runq"),
             series("idle Ps", "idle_ps", true), series("spinning Ms", "spinning_ms", true)})));
  }
  const auto& ps = r.data.value("ps", nlohmann::ordered_json::array());
  if (!ps.empty()) {
    std::vector<std::string> labels;
    std::vector<std::vector<double>> runq(1), states(3);
    for (const auto& p : ps) {
      labels.push_back(fmt::format("P{}", p.value("id", 0)));
      runq[0].push_back(num(p, "runq_avg"));
      states[0].push_back(100 * num(p, "running_frac"));
      states[1].push_back(100 * num(p, "idle_frac"));
      states[2].push_back(100 * num(p, "syscall_frac"));
    }
    out.push_back(with_id("sched-runq", report::svg::bar_chart(
                                            "Run queue per P", "Each P's local run queue and runnext, averaged over the snapshots.",
                                            {"P", "goroutines", true}, labels, {"run queue avg"}, runq)));
    out.push_back(with_id("sched-pstates", report::svg::bar_chart(
                                               "P states", "The share of snapshots that found each P running, idle or in a system call.",
                                               {"P", "% of snapshots", true}, labels,
                                               {"running", "idle", "syscall"}, states)));
  }
  return out;
}

}  // namespace gri::exp::sched
