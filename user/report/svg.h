// SVG charts for the HTML page (html.h). Every datum drawn is one element of class "mark"
// with its value in a <title> (the browser's tooltip), and each chart counts its marks in
// Figure::marks, so a test can hold the page to the report's data. No script, no fonts
// beyond the browser's default sans-serif.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "report/html.h"

namespace gri::report::svg {

// A line of points (x, y), each drawn as a dot (a mark) joined by a line.
struct Series {
  Series() = default;
  explicit Series(std::string n, bool d = false) : name(std::move(n)), dashed(d) {}
  Series(std::string n, std::vector<std::pair<double, double>> p, bool d = false)
      : name(std::move(n)), points(std::move(p)), dashed(d) {}

  std::string name;
  std::vector<std::pair<double, double>> points;
  bool dashed = false;
};

// A horizontal line across the chart (a limit, a goal): not data, no mark.
struct Rule {
  std::string name;
  double y = 0;
};

struct Axes {
  std::string x_label;
  std::string y_label;
  bool y_from_zero = true;
};

Figure line_chart(std::string title, std::string caption, const Axes& axes,
                  const std::vector<Series>& series, const std::vector<Rule>& rules = {});

// Bars by category: one group per label, one bar per series within it (values[s][label]).
Figure bar_chart(std::string title, std::string caption, const Axes& axes,
                 const std::vector<std::string>& labels, const std::vector<std::string>& series,
                 const std::vector<std::vector<double>>& values);

// A matrix as coloured cells (rows x columns), every cell a mark, zeros included; the value
// is printed in the cell when there is room.
Figure heat_map(std::string title, std::string caption, const std::string& row_label,
                const std::string& column_label, const std::vector<std::string>& rows,
                const std::vector<std::string>& columns,
                const std::vector<std::vector<double>>& cells);

// A histogram of buckets [lo, hi) with counts, bars on a log-scaled x axis when the buckets
// span more than two decades.
struct Bucket {
  double lo = 0;
  double hi = 0;
  double count = 0;
};

Figure histogram(std::string title, std::string caption, const Axes& axes,
                 const std::vector<Bucket>& buckets);

// "1.5k", "12", "3.2M": short numbers for axes and cells.
std::string short_number(double v);

// Escapes text for HTML and SVG (& < > ").
std::string escape(std::string_view text);

}  // namespace gri::report::svg
