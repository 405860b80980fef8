// EXP-04's charts: objects and bytes per size class, and allocations over time.
#include "exp/figures.h"

namespace gri::exp::alloc {

Figures figures(const report::Report& r) {
  Figures out;
  const auto& classes = r.data.value("size_classes", nlohmann::ordered_json::array());
  if (!classes.empty()) {
    std::vector<std::string> labels;
    std::vector<std::vector<double>> objects(1), mib(1);
    for (const auto& c : classes) {
      labels.push_back(report::svg::short_number(num(c, "size")));
      objects[0].push_back(num(c, "objects"));
      mib[0].push_back(num(c, "bytes") / (1024.0 * 1024.0));
    }
    out.push_back(with_id(
        "alloc-classes",
        report::svg::bar_chart("Objects per size class",
                               fmt::format("The {} size classes that had allocations, by object "
                                           "size in bytes (the runtime's own counters).",
                                           classes.size()),
                               {"object size (bytes)", "objects", true}, labels, {"objects"},
                               objects)));
    out.push_back(with_id(
        "alloc-class-bytes",
        report::svg::bar_chart("Bytes per size class", "Objects times the class's size, in MiB.",
                               {"object size (bytes)", "MiB", true}, labels, {"MiB"}, mib)));
  }
  const auto& tl = r.data.value("timeline", nlohmann::ordered_json::array());
  if (!tl.empty()) {
    report::svg::Series s{"objects allocated"};
    for (const auto& p : tl) s.points.push_back({num(p, "t_s"), num(p, "objects")});
    out.push_back(with_id("alloc-timeline",
                          report::svg::line_chart("Objects allocated over time",
                                                  "Every object counted so far (small, tiny "
                                                  "and large), read from the runtime's "
                                                  "counters as the run went.",
                                                  {"seconds", "objects", true}, {s})));
  }
  return out;
}

}  // namespace gri::exp::alloc
