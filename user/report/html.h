// The HTML renderer: one self-contained page (no network: inline SVG and CSS, a few lines of
// plain JavaScript) of a report: the target and verdicts first, then the figures that fit the
// experiment, the tables, notes, degraded points and the overhead estimate.
#pragma once

#include <string>
#include <vector>

#include "report/report.h"

namespace gri::report {

// A chart, drawn from the report's data by the experiment (exp/<name>/figures.cpp).
struct Figure {
  std::string id;  // "gc-heap": the page's element id is "fig-" + id
  std::string title;
  std::string caption;  // what is drawn and from which data
  std::string svg;      // an <svg> element
  size_t marks = 0;     // points, bars or cells drawn, one per datum (data-marks in the page)
};

std::string render_html(const Report& r, const std::vector<Figure>& figures);

}  // namespace gri::report
