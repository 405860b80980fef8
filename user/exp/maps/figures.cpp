// EXP-07's charts: each map growth's time by the map's size after it, and where the CPU
// samples fell, map code first.
#include <algorithm>

#include "exp/figures.h"

namespace gri::exp::maps {

Figures figures(const report::Report& r) {
  Figures out;
  const auto& growths = r.data.value("growths", nlohmann::ordered_json::array());
  std::map<std::string, report::svg::Series> by_kind;
  for (const auto& g : growths) {
    if (!g.contains("us") || !g["us"].is_number()) continue;
    auto& s = by_kind[g.value("kind", "?")];
    s.name = g.value("kind", "?") + " growths";
    s.points.push_back({num(g, "entries_after"), num(g, "us")});
  }
  if (!by_kind.empty()) {
    std::vector<report::svg::Series> series;
    size_t n = 0;
    for (auto& [k, s] : by_kind) {
      std::sort(s.points.begin(), s.points.end());
      n += s.points.size();
      series.push_back(std::move(s));
    }
    out.push_back(with_id(
        "maps-growths",
        report::svg::line_chart("Map growths: time by size",
                                fmt::format("{} timed growths: the microseconds each took, by "
                                            "the slots the map held after it.",
                                            n),
                                {"slots after the growth", "us", true}, series)));
  }
  const auto& fns = r.data.value("cpu", nlohmann::ordered_json::object())
                        .value("functions", nlohmann::ordered_json::array());
  if (!fns.empty()) {
    std::vector<std::string> labels;
    std::vector<std::vector<double>> v(2);
    for (size_t i = 0; i < fns.size() && i < 16; i++) {
      std::string name = fns[i].value("function", "?");
      if (name.size() > 28) name = "…" + name.substr(name.size() - 27);
      labels.push_back(name);
      bool map = fns[i].value("class", "") != "";
      v[0].push_back(map ? num(fns[i], "samples") : 0);
      v[1].push_back(map ? 0 : num(fns[i], "samples"));
    }
    out.push_back(with_id("maps-cpu", report::svg::bar_chart(
                                          "CPU samples by function",
                                          fmt::format("The {} functions with the most samples "
                                                      "of {}; map and hash code apart.",
                                                      labels.size(), fns.size()),
                                          {"function", "samples", true}, labels,
                                          {"map or hash code", "other"}, v)));
  }
  return out;
}

}  // namespace gri::exp::maps
