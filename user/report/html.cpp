#include "report/html.h"

#include <fmt/format.h>

#include "report/svg.h"

namespace gri::report {

namespace {

using svg::escape;

constexpr const char* kStyle = R"(
body { font: 14px/1.45 sans-serif; margin: 24px auto; max-width: 1100px; color: #222; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; }
.target { color: #555; }
table { border-collapse: collapse; margin: 6px 0 14px; font-size: 13px; }
td, th { border: 1px solid #ddd; padding: 3px 8px; text-align: right; vertical-align: top; }
td:first-child, th:first-child { text-align: left; }
th { background: #f4f4f4; }
.verdict td, #verdicts th { text-align: left; }
.result { font-weight: bold; white-space: nowrap; }
.verified { color: #1a7f37; } .refuted { color: #c62828; } .inconclusive { color: #9a6700; }
figure { margin: 12px 0 24px; } figcaption { color: #555; font-size: 13px; max-width: 760px; }
figure h3 { font-size: 15px; margin: 0 0 4px; }
svg { font: 11px sans-serif; background: #fff; }
svg .axis line { stroke: #444; } svg .axis line.grid { stroke: #e4e4e4; }
.degraded { color: #9a6700; } .notes { white-space: pre-wrap; font-family: monospace; font-size: 12px; }
)";

std::string table_html(const Table& t) {
  std::string out;
  if (!t.title.empty()) out += fmt::format("<h3>{}</h3>\n", escape(t.title));
  out += "<table><tr>";
  for (const std::string& c : t.columns) out += fmt::format("<th>{}</th>", escape(c));
  out += "</tr>\n";
  for (const auto& row : t.rows) {
    out += "<tr>";
    for (const std::string& cell : row) out += fmt::format("<td>{}</td>", escape(cell));
    out += "</tr>\n";
  }
  return out + "</table>\n";
}

}  // namespace

std::string render_html(const Report& r, const std::vector<Figure>& figures) {
  std::string title = fmt::format("gri {}: {} ({})", r.experiment, r.target.exe, r.target.go_version);
  std::string out = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>{}</title>\n"
      "<style>{}</style></head><body>\n",
      escape(title), kStyle);
  // A page of no one process (the lab's A/B of several runs) has no PID, duration or cost.
  bool traced = r.target.pid != 0;
  out += fmt::format("<h1>gri {}</h1>\n<p class=\"target\">", escape(r.experiment));
  if (traced) out += fmt::format("PID {} ", r.target.pid);
  out += fmt::format("<code>{}</code>, {}", escape(r.target.exe), escape(r.target.go_version));
  if (r.target.gomaxprocs) out += fmt::format(", GOMAXPROCS {}", *r.target.gomaxprocs);
  out += traced ? fmt::format(", traced for {:.2f} s</p>\n", r.duration_s)
                : ": made by gri lab from several runs</p>\n";

  out += "<h2>Verdicts</h2>\n";
  if (r.verdicts.empty()) {
    out += "<p>This report has no verdict.</p>\n";
  } else {
    out += "<table id=\"verdicts\"><tr><th>id</th><th>result</th><th>hypothesis</th><th>evidence</th></tr>\n";
    for (const Verdict& v : r.verdicts) {
      out += fmt::format("<tr class=\"verdict\"><td>{}</td><td class=\"result {}\">{}</td><td>{}</td><td>{}</td></tr>\n",
                         escape(v.id), escape(v.result), escape(v.result), escape(v.hypothesis),
                         escape(v.evidence));
    }
    out += "</table>\n";
  }

  if (!traced) {
    out += "<h2>Cost and completeness</h2>\n<p>Each run's cost is in its own report.</p>\n";
  } else {
    out += "<h2>Cost and completeness</h2>\n<table id=\"overhead\">";
    out += fmt::format("<tr><td>probe hits</td><td>{}</td></tr>", r.overhead.probe_hits);
    out += fmt::format("<tr><td>one hit on this machine</td><td>{:.1f} us</td></tr>",
                       r.overhead.probe_cost_ns / 1000);
    out += fmt::format("<tr><td>CPU time added to the target (est.)</td><td>{:.3f} s</td></tr>",
                       r.overhead.est_target_overhead_s);
    out += fmt::format("<tr><td>lost events</td><td>{}</td></tr></table>\n", r.lost_events);
  }
  if (!r.degraded.empty()) {
    out += "<ul id=\"degraded\">\n";
    for (const Degraded& d : r.degraded) {
      out += fmt::format("<li class=\"degraded\"><b>{}</b>: {}</li>\n", escape(d.point), escape(d.reason));
    }
    out += "</ul>\n";
  }

  if (!figures.empty()) out += "<h2>Charts</h2>\n";
  for (const Figure& f : figures) {
    out += fmt::format(
        "<figure class=\"chart\" id=\"fig-{}\" data-marks=\"{}\"><h3>{}</h3>\n{}\n"
        "<figcaption>{}</figcaption></figure>\n",
        escape(f.id), f.marks, escape(f.title), f.svg, escape(f.caption));
  }

  if (!r.tables.empty()) out += "<h2>Tables</h2>\n";
  for (const Table& t : r.tables) out += table_html(t);
  if (!r.notes.empty()) {
    out += "<h2>Notes</h2>\n<div class=\"notes\">";
    for (const std::string& n : r.notes) out += escape(n) + "\n";
    out += "</div>\n";
  }
  out += "<p class=\"target\">Written by gri; the same data as <code>--json</code> (gri.report/1).</p>\n";
  return out + "</body></html>\n";
}

}  // namespace gri::report
