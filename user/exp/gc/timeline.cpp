#include "exp/gc/timeline.h"

#include <fmt/format.h>

namespace gri::exp::gc {

void add_timeline(const std::vector<GcCycle>& cycles, const nlohmann::ordered_json& figures,
                  report::Timeline& t) {
  const std::string group = "GC";
  size_t phases = t.track(group, "cycles");
  size_t stw = t.track(group, "stop the world");
  for (size_t i = 0; i < cycles.size(); ++i) {
    const GcCycle& c = cycles[i];
    // A cycle whose start gri did not see still has all four times (the runtime keeps them
    // in runtime.work); one with a time missing or out of order is left out, not drawn wrong.
    if (c.t_sweep_term <= 0 || c.t_mark < c.t_sweep_term || c.t_mark_term < c.t_mark ||
        c.t_end < c.t_mark_term) {
      continue;
    }
    nlohmann::ordered_json args =
        i < figures.size() ? figures[i] : nlohmann::ordered_json::object();
    t.slices.push_back({phases, c.t_sweep_term, c.t_end - c.t_sweep_term,
                        fmt::format("GC {}", c.numgc), "gc", std::move(args)});
    // Phases nest inside the cycle's slice; the pauses also get a track of their own, so the
    // world's stops line up apart from the concurrent mark (gctrace's three clock figures).
    t.slices.push_back({phases, c.t_sweep_term, c.t_mark - c.t_sweep_term, "sweep termination",
                        "gc.phase", {{"n", c.numgc}, {"stw", true}}});
    t.slices.push_back({phases, c.t_mark, c.t_mark_term - c.t_mark, "mark", "gc.phase",
                        {{"n", c.numgc}, {"stw", false}}});
    t.slices.push_back({phases, c.t_mark_term, c.t_end - c.t_mark_term, "mark termination",
                        "gc.phase", {{"n", c.numgc}, {"stw", true}}});
    t.slices.push_back({stw, c.t_sweep_term, c.t_mark - c.t_sweep_term,
                        "STW: GC sweep termination", "stw", {{"n", c.numgc}}});
    t.slices.push_back({stw, c.t_mark_term, c.t_end - c.t_mark_term,
                        "STW: GC mark termination", "stw", {{"n", c.numgc}}});
    // gctrace's A->B->C and goal: live heap at the start and at mark termination, marked
    // (live) heap at the end, and the goal this cycle worked to.
    auto bytes = [](uint64_t b) { return static_cast<double>(b); };
    t.counters.push_back({group, "heap live (bytes)", c.t_sweep_term, bytes(c.heap0)});
    t.counters.push_back({group, "heap live (bytes)", c.t_mark_term, bytes(c.heap1)});
    t.counters.push_back({group, "heap marked (bytes)", c.t_end, bytes(c.heap2)});
    t.counters.push_back({group, "heap goal (bytes)", c.t_sweep_term, bytes(c.heap_goal)});
  }
}

}  // namespace gri::exp::gc
