// EXP-06's chart: the write barrier's buffer flushes and the pointers they carried, per cycle.
#include "exp/figures.h"

namespace gri::exp::wb {

Figures figures(const report::Report& r) {
  using report::svg::Series;
  const auto& cycles = r.data.value("cycles", nlohmann::ordered_json::array());
  Series flushes{"buffer flushes"}, pointers{"pointers flushed / 100", true};
  for (const auto& c : cycles) {
    flushes.points.push_back({num(c, "n"), num(c, "wb_flushes")});
    pointers.points.push_back({num(c, "n"), num(c, "wb_pointers") / 100});
  }
  return {with_id("wb-flushes",
                  report::svg::line_chart(
                      "Write-barrier buffer flushes per cycle",
                      fmt::format("{} cycles: calls of wbBufFlush while the barrier was on, and "
                                  "the pointers they handed to the GC (in hundreds).",
                                  cycles.size()),
                      {"GC cycle", "count", true}, {flushes, pointers}))};
}

}  // namespace gri::exp::wb
