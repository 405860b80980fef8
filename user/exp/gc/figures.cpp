// EXP-05's charts: the heap per cycle with the goal and the memory limit, the two
// stop-the-world pauses per cycle, and every pause by its reason.
#include <cstdint>
#include <limits>

#include "exp/figures.h"

namespace gri::exp::gc {

Figures figures(const report::Report& r) {
  using report::svg::Series;
  Figures out;
  const auto& cycles = r.data.value("cycles", nlohmann::ordered_json::array());
  constexpr double kMiB = 1024.0 * 1024.0;
  Series start{"heap at start"}, term{"at mark termination"}, marked{"marked"},
      goal{"goal", true}, stw1{"sweep termination (STW 1)"}, stw2{"mark termination (STW 2)"};
  int64_t limit = std::numeric_limits<int64_t>::max();
  for (const auto& c : cycles) {
    double n = num(c, "n");
    start.points.push_back({n, num(c, "heap_live_bytes") / kMiB});
    term.points.push_back({n, num(c, "heap_at_mark_termination_bytes") / kMiB});
    marked.points.push_back({n, num(c, "heap_marked_bytes") / kMiB});
    goal.points.push_back({n, num(c, "heap_goal_bytes") / kMiB});
    stw1.points.push_back({n, num(c, "stw_sweep_term_us")});
    stw2.points.push_back({n, num(c, "stw_mark_term_us")});
    if (c.contains("memory_limit_bytes") && c["memory_limit_bytes"].is_number_integer()) {
      limit = std::min(limit, c["memory_limit_bytes"].get<int64_t>());
    }
  }
  std::vector<report::svg::Rule> rules;
  // The limit is drawn only when it is near enough the heap to be read on the same axis.
  double top = 0;
  for (const auto& [n, v] : goal.points) top = std::max(top, v);
  if (limit != std::numeric_limits<int64_t>::max() && static_cast<double>(limit) / kMiB < 4 * top) {
    rules.push_back({"memory limit", static_cast<double>(limit) / kMiB});
  }
  out.push_back(with_id(
      "gc-heap",
      report::svg::line_chart(
          "GC timeline: the heap per cycle",
          fmt::format("{} cycles: heap live when the cycle started, at mark termination, and "
                      "marked (live after the cycle), against the goal the pacer set{}.",
                      cycles.size(),
                      limit == std::numeric_limits<int64_t>::max()
                          ? "; no memory limit was set"
                          : fmt::format("; the memory limit is {:.1f} MiB{}",
                                        static_cast<double>(limit) / kMiB,
                                        rules.empty() ? " (off the scale)" : "")),
          {"GC cycle", "MiB", true}, {start, term, marked, goal}, rules)));
  out.push_back(with_id(
      "gc-pauses",
      report::svg::line_chart("Stop-the-world pauses per cycle",
                              "The two pauses of every cycle, from stopTheWorld to "
                              "startTheWorld, in microseconds.",
                              {"GC cycle", "us", true}, {stw1, stw2})));
  const auto& stw = r.data.value("stw", nlohmann::ordered_json::array());
  std::vector<std::string> reasons;
  std::vector<std::vector<double>> values(2);
  for (const auto& p : stw) {
    reasons.push_back(p.value("reason", "?"));
    values[0].push_back(num(p, "total_ms"));
    values[1].push_back(num(p, "max_us") / 1000);
  }
  if (!reasons.empty()) {
    out.push_back(with_id("gc-stw-reasons",
                          report::svg::bar_chart("Stop-the-world pauses by reason",
                                                 "Every pause of the world, the GC's and the "
                                                 "others': total and longest, in ms.",
                                                 {"reason", "ms", true}, reasons,
                                                 {"total ms", "max ms"}, values)));
  }
  return out;
}

}  // namespace gri::exp::gc
