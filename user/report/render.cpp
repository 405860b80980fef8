#include "report/render.h"

#include <algorithm>

#include <fmt/format.h>

namespace gri::report {

namespace {

std::string table_text(const Table& t) {
  std::vector<size_t> width(t.columns.size());
  for (size_t c = 0; c < t.columns.size(); c++) width[c] = t.columns[c].size();
  for (const auto& row : t.rows) {
    for (size_t c = 0; c < row.size() && c < width.size(); c++) width[c] = std::max(width[c], row[c].size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out = " ";
    for (size_t c = 0; c < width.size(); c++) {
      const std::string cell = c < cells.size() ? cells[c] : "";
      // The first column names things (left); the others are figures (right).
      out += c == 0 ? fmt::format(" {:<{}}", cell, width[c]) : fmt::format("  {:>{}}", cell, width[c]);
    }
    return out + "\n";
  };
  std::string out = t.title.empty() ? "" : t.title + "\n";
  out += line(t.columns);
  for (const auto& row : t.rows) out += line(row);
  return out;
}

}  // namespace

std::string render_text(const Report& r) {
  std::string out = fmt::format("gri {}: PID {} {} ({}", r.experiment, r.target.pid, r.target.exe,
                                r.target.go_version);
  if (r.target.gomaxprocs) out += fmt::format(", GOMAXPROCS {}", *r.target.gomaxprocs);
  out += fmt::format("), {:.2f} s\n", r.duration_s);
  out += fmt::format("overhead: {} probe hits x {:.1f} us = {:.3f} s of CPU time added to the target (est.)\n",
                     r.overhead.probe_hits, r.overhead.probe_cost_ns / 1000,
                     r.overhead.est_target_overhead_s);
  if (r.lost_events) out += fmt::format("lost events: {}\n", r.lost_events);
  for (const Degraded& d : r.degraded) out += fmt::format("degraded: {}: {}\n", d.point, d.reason);
  for (const Table& t : r.tables) out += "\n" + table_text(t);
  if (!r.notes.empty()) out += "\n";
  for (const std::string& n : r.notes) out += n + "\n";
  if (!r.verdicts.empty()) out += "\nverdicts:\n";
  for (const Verdict& v : r.verdicts) {
    out += fmt::format("  [{}] {} {}: {}\n", v.result, v.id, v.hypothesis, v.evidence);
  }
  return out;
}

nlohmann::ordered_json render_json(const Report& r) {
  using json = nlohmann::ordered_json;
  json j;
  j["schema"] = "gri.report/1";
  j["experiment"] = r.experiment;
  j["target"] = {{"pid", r.target.pid},
                 {"exe", r.target.exe},
                 {"go_version", r.target.go_version},
                 {"gomaxprocs", r.target.gomaxprocs ? json(*r.target.gomaxprocs) : json(nullptr)}};
  j["duration_s"] = r.duration_s;
  j["overhead"] = {{"probe_hits", r.overhead.probe_hits},
                   {"probe_cost_ns", r.overhead.probe_cost_ns},
                   {"est_target_overhead_s", r.overhead.est_target_overhead_s}};
  j["lost_events"] = r.lost_events;
  json degraded = json::array();
  for (const Degraded& d : r.degraded) degraded.push_back({{"point", d.point}, {"reason", d.reason}});
  j["degraded"] = std::move(degraded);
  j["data"] = r.data;
  json verdicts = json::array();
  for (const Verdict& v : r.verdicts) {
    verdicts.push_back({{"id", v.id},
                        {"hypothesis", v.hypothesis},
                        {"result", v.result},
                        {"evidence", v.evidence}});
  }
  j["verdicts"] = std::move(verdicts);
  return j;
}

}  // namespace gri::report
