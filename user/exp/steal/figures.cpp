// EXP-03's charts: the thief x victim matrices of goroutines stolen and of attempts, as heat
// maps, and the sizes of the steals.
#include "exp/figures.h"

namespace gri::exp::steal {

namespace {

report::Figure matrix_figure(const char* id, const char* title, std::string caption,
                             const nlohmann::ordered_json& m) {
  std::vector<std::string> names;
  std::vector<std::vector<double>> cells;
  for (size_t i = 0; i < m.size(); i++) {
    names.push_back(fmt::format("P{}", i));
    std::vector<double> row;
    for (const auto& v : m[i]) row.push_back(v.get<double>());
    cells.push_back(std::move(row));
  }
  return with_id(id, report::svg::heat_map(title, std::move(caption), "thief", "victim", names,
                                           names, cells));
}

}  // namespace

Figures figures(const report::Report& r) {
  Figures out;
  if (r.data.contains("steal_matrix")) {
    out.push_back(matrix_figure(
        "steal-matrix", "Goroutines stolen: thief P (rows) x victim P (columns)",
        fmt::format("{} goroutines in {} steals of {} attempts; darker is more.",
                    r.data.value("stolen_goroutines", 0), r.data.value("steals", 0),
                    r.data.value("steal_attempts", 0)),
        r.data["steal_matrix"]));
  }
  if (r.data.contains("attempt_matrix")) {
    out.push_back(matrix_figure("steal-attempts", "Steal attempts: thief P x victim P",
                                "Every runqsteal call, whether it took anything or not.",
                                r.data["attempt_matrix"]));
  }
  const auto& sizes = r.data.value("steal_sizes", nlohmann::ordered_json::object());
  if (!sizes.empty()) {
    std::vector<std::string> labels;
    std::vector<std::vector<double>> counts(1);
    for (const auto& [k, v] : sizes.items()) {
      labels.push_back(k);
      counts[0].push_back(v.get<double>());
    }
    out.push_back(with_id("steal-sizes",
                          report::svg::bar_chart("Goroutines per steal",
                                                 "How many goroutines each successful steal took.",
                                                 {"goroutines taken", "steals", true}, labels,
                                                 {"steals"}, counts)));
  }
  return out;
}

}  // namespace gri::exp::steal
