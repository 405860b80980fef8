#include "trace/figures.h"

#include <fmt/format.h>

#include "report/svg.h"

namespace gri::trace {

std::vector<report::Figure> figures(const report::Report& r) {
  std::vector<report::Figure> out;
  const auto& fns = r.data.value("functions", nlohmann::ordered_json::array());
  for (size_t i = 0; i < fns.size(); i++) {
    const auto& f = fns[i];
    const auto& lat = f.value("latency_ns", nlohmann::ordered_json::object());
    const auto& hist = lat.value("hist", nlohmann::ordered_json::array());
    if (hist.empty()) continue;
    std::vector<report::svg::Bucket> b;
    for (const auto& h : hist) {
      double hi = h.value("hi_ns", 0.0) / 1e3;
      // The first log2 slot starts at 0; drawn from half its upper bound on the log axis.
      double lo = h.value("lo_ns", 0.0) / 1e3;
      b.push_back({lo > 0 ? lo : hi / 2, hi, h.value("count", 0.0)});
    }
    auto fig = report::svg::histogram(
        fmt::format("{}: latency", f.value("name", "?")),
        fmt::format("{} calls, {} timed from entry to return per goroutine, in log2 buckets "
                    "(us): p50 under {}, p99 under {}.",
                    f.value("calls", 0), lat.value("count", 0),
                    report::svg::short_number(lat.value("p50", 0.0) / 1e3),
                    report::svg::short_number(lat.value("p99", 0.0) / 1e3)),
        {"us", "calls", true}, b);
    fig.id = fmt::format("trace-latency-{}", i);
    out.push_back(std::move(fig));
  }
  return out;
}

}  // namespace gri::trace
