// EXP-08's charts: the lateness of the program's timers, who ran whose timers, and the
// operations per P.
#include "exp/figures.h"

namespace gri::exp::timers {

Figures figures(const report::Report& r) {
  Figures out;
  const auto& lat = r.data.value("lateness_us", nlohmann::ordered_json::object());
  if (lat.contains("histogram") && !lat["histogram"].empty()) {
    out.push_back(with_id(
        "timers-lateness",
        report::svg::histogram(
            "Timer lateness",
            fmt::format("now - when as each of the program's {} timers ran, in 12.5% buckets: "
                        "p50 {} us, p99 {} us.",
                        lat.value("samples", 0), report::svg::short_number(num(lat, "p50")),
                        report::svg::short_number(num(lat, "p99"))),
            {"us late", "timers", true}, buckets(lat["histogram"], "from_us", "to_us"))));
  }
  const auto& rm = r.data.value("run_matrix", nlohmann::ordered_json::object());
  if (rm.contains("ps") && !rm["ps"].empty()) {
    std::vector<std::string> names;
    for (const auto& p : rm["ps"]) {
      names.push_back(p.get<int>() < 0 ? "none" : fmt::format("P{}", p.get<int>()));
    }
    std::vector<std::vector<double>> cells;
    for (const auto& row : rm["rows"]) {
      std::vector<double> v;
      for (const auto& x : row) v.push_back(x.get<double>());
      cells.push_back(std::move(v));
    }
    out.push_back(with_id(
        "timers-run-matrix",
        report::svg::heat_map("Timers run: runner P (rows) x owner P (columns)",
                              fmt::format("{} from the runner's own heap, {} taken over from "
                                          "another P's, {} from no heap (none: a channel timer "
                                          "run by its reader).",
                                          rm.value("own", 0), rm.value("taken_over", 0),
                                          rm.value("no_heap", 0)),
                              "runner", "owner", names, names, cells)));
  }
  const auto& per_p = r.data.value("ops", nlohmann::ordered_json::object())
                          .value("per_p", nlohmann::ordered_json::array());
  if (!per_p.empty()) {
    std::vector<std::string> labels;
    std::vector<std::vector<double>> v(4);
    const char* ops[] = {"add", "modify", "delete", "run"};
    for (const auto& p : per_p) {
      int id = p.value("p", -1);
      labels.push_back(id < 0 ? "none" : fmt::format("P{}", id));
      for (size_t k = 0; k < 4; k++) v[k].push_back(num(p, ops[k]));
    }
    out.push_back(with_id("timers-ops",
                          report::svg::bar_chart("Timer operations per P",
                                                 "Calls on the program's timers, by the P they "
                                                 "ran on.",
                                                 {"P", "calls", true}, labels,
                                                 {"add", "modify", "delete", "run"}, v)));
  }
  return out;
}

}  // namespace gri::exp::timers
