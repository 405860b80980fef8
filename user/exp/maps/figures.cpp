// EXP-07's charts: each map growth's time by the map's size after it, and where the CPU
// samples fell, map code first.
#include <algorithm>

#include "exp/figures.h"

namespace gri::exp::maps {

namespace {

// The lab's A/B page of a pair (data.ab: the two variants' results): bars side by side.
Figures ab_figures(const nlohmann::ordered_json& ab) {
  Figures out;
  const auto& a = ab["a"];
  const auto& b = ab["b"];
  std::vector<std::string> series = {a.value("variant", "A"), b.value("variant", "B")};
  auto bars = [&](const char* id, std::string title, std::string caption, const char* unit,
                  const std::vector<std::string>& labels, auto value) {
    std::vector<std::vector<double>> v(2);
    for (const std::string& l : labels) {
      v[0].push_back(value(a, l));
      v[1].push_back(value(b, l));
    }
    out.push_back(with_id(id, report::svg::bar_chart(std::move(title), std::move(caption),
                                                     {"", unit, true}, labels, series, v)));
  };
  auto per_lookup = [](const nlohmann::ordered_json& j, const std::string& phase) {
    const auto& p = j.value("per_lookup", nlohmann::ordered_json::object());
    return p.contains(phase) ? num(p[phase], "keys_compared") : 0.0;
  };
  bars("maps-ab-keys", "Keys compared per lookup",
       "gri maps --exact on a map of 65536 int64 keys: keys compared by a lookup that hits and "
       "by one that misses.",
       "keys", {"hit", "miss"}, per_lookup);
  auto simulated = [](const char* what) {
    return [what](const nlohmann::ordered_json& j, const std::string& phase) {
      const auto& s = j.value("simulated", nlohmann::ordered_json::object());
      return s.contains(phase) ? num(s[phase], what) : 0.0;
    };
  };
  bars("maps-ab-instructions", "Instructions per operation (simulated)",
       "cachegrind, GOMAXPROCS=1, GOGC=off: the map code's instructions per insert, hit and miss.",
       "instructions", {"insert", "hit", "miss"}, simulated("instructions"));
  bars("maps-ab-llc", "Last-level cache misses per operation (simulated)",
       "cachegrind's simulated caches (D1 32 KiB, LL 8 MiB), a map of 2^20 keys.", "misses",
       {"insert", "hit", "miss"}, simulated("ll_misses"));
  // Time per operation untraced, for every key set both ran.
  std::vector<std::string> labels;
  const auto& na = a.value("ns_per_op", nlohmann::ordered_json::object());
  const auto& nb = b.value("ns_per_op", nlohmann::ordered_json::object());
  for (const auto& [keys, phases] : na.items()) {
    if (!nb.contains(keys)) continue;
    for (const auto& [phase, ns] : phases.items()) {
      if (nb[keys].contains(phase)) labels.push_back(keys + " " + phase);
    }
  }
  if (!labels.empty()) {
    auto ns = [](const nlohmann::ordered_json& j, const std::string& label) {
      const auto& t = j.value("ns_per_op", nlohmann::ordered_json::object());
      for (const auto& [keys, phases] : t.items()) {
        for (const auto& [phase, v] : phases.items()) {
          if (keys + " " + phase == label && v.is_number()) return v.get<double>();
        }
      }
      return 0.0;
    };
    bars("maps-ab-ns", "Time per operation (untraced)",
         "The median of the untraced runs' own clocks, ns per operation, by key set and phase.",
         "ns", labels, ns);
  }
  return out;
}

}  // namespace

Figures figures(const report::Report& r) {
  if (r.data.contains("ab")) return ab_figures(r.data["ab"]);
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
