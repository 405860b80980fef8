#include "lab/index.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "exp/registry.h"
#include "report/svg.h"

namespace gri::lab {

using report::svg::escape;

std::string render_index(const Outcomes& outcomes, const std::vector<std::string>& go_versions,
                         double seconds) {
  const auto& all = outcomes.all();
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>gri lab</title>\n"
      "<style>body{font:14px/1.45 sans-serif;margin:24px auto;max-width:1200px;padding:0 16px;color:#222}"
      "table{border-collapse:collapse;margin:6px 0 18px;font-size:13px}"
      "td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}"
      "th{background:#f4f4f4}td.cell{text-align:center;white-space:nowrap}"
      ".ok{background:#e6f4ea}.unexpected{background:#fde7e7;font-weight:bold}.none{color:#999}"
      "h2{font-size:17px;margin:26px 0 6px}a{color:inherit}</style></head><body>\n";
  out += fmt::format("<h1>gri lab</h1>\n<p id=\"summary\">{} of {} verdicts as expected, on {} "
                     "({:.0f} s).</p>\n",
                     all.size() - outcomes.unexpected(), all.size(),
                     escape(fmt::format("{}", fmt::join(go_versions, ", "))), seconds);
  out += "<p>Each cell: the result observed, and the one the workload is built to produce when "
         "they differ. A cell links to the run's report where the run has one.</p>\n";
  std::vector<std::string> columns = go_versions;
  for (const Outcome& o : all) {
    if (std::find(columns.begin(), columns.end(), o.go) == columns.end()) columns.push_back(o.go);
  }
  // Experiments in the order they ran; rows (workload, id) in the order they first came.
  std::vector<std::string> experiments;
  for (const Outcome& o : all) {
    if (std::find(experiments.begin(), experiments.end(), o.experiment) == experiments.end()) {
      experiments.push_back(o.experiment);
    }
  }
  for (const std::string& e : experiments) {
    const exp::Experiment* info = exp::find_experiment(e);
    out += fmt::format("<h2>{} {}</h2>\n", escape(e),
                       info ? escape(fmt::format("gri {}: {}", info->command, info->question)) : "");
    std::vector<std::pair<std::string, std::string>> rows;
    std::map<std::tuple<std::string, std::string, std::string>, const Outcome*> cells;
    for (const Outcome& o : all) {
      if (o.experiment != e) continue;
      std::pair<std::string, std::string> row{o.workload, o.id};
      if (std::find(rows.begin(), rows.end(), row) == rows.end()) rows.push_back(row);
      cells[{o.workload, o.id, o.go}] = &o;  // a verdict given twice: the last one
    }
    out += "<table class=\"lab\"><tr><th>workload</th><th>verdict</th>";
    for (const std::string& c : columns) out += fmt::format("<th>{}</th>", escape(c));
    out += "</tr>\n";
    for (const auto& [workload, id] : rows) {
      out += fmt::format("<tr><td>{}</td><td>{}</td>", escape(workload), escape(id));
      for (const std::string& c : columns) {
        auto it = cells.find({workload, id, c});
        if (it == cells.end()) {
          out += "<td class=\"cell none\">-</td>";
          continue;
        }
        const Outcome& o = *it->second;
        std::string text = o.as_expected() ? o.observed : fmt::format("{} (expected {})", o.observed, o.expected);
        if (!o.page.empty()) text = fmt::format("<a href=\"{}\">{}</a>", escape(o.page), escape(text));
        else text = escape(text);
        out += fmt::format(
            "<td class=\"cell {}\" data-experiment=\"{}\" data-workload=\"{}\" data-go=\"{}\" "
            "data-id=\"{}\" data-observed=\"{}\" data-expected=\"{}\" title=\"{}\">{}</td>",
            o.as_expected() ? "ok" : "unexpected", escape(o.experiment), escape(o.workload),
            escape(o.go), escape(o.id), escape(o.observed), escape(o.expected), escape(o.evidence),
            text);
      }
      out += "</tr>\n";
    }
    out += "</table>\n";
  }
  return out + "</body></html>\n";
}

}  // namespace gri::lab
