#include "report/svg.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace gri::report::svg {

namespace {

constexpr double kWidth = 760;
constexpr double kHeight = 300;
constexpr double kLeft = 64;
constexpr double kRight = 16;
constexpr double kTop = 28;  // the legend
constexpr double kBottom = 44;
constexpr double kPlotW = kWidth - kLeft - kRight;
constexpr double kPlotH = kHeight - kTop - kBottom;

constexpr const char* kPalette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                    "#9467bd", "#8c564b", "#e377c2", "#17becf"};

const char* color(size_t i) { return kPalette[i % std::size(kPalette)]; }

// Tick values: 1, 2 or 5 times a power of ten, about `n` of them over [lo, hi].
std::vector<double> ticks(double lo, double hi, int n = 5) {
  if (!(hi > lo)) return {lo};
  double raw = (hi - lo) / n;
  double mag = std::pow(10, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    step = m * mag;
    if (step >= raw) break;
  }
  std::vector<double> out;
  for (double v = std::ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
    out.push_back(std::abs(v) < step * 1e-9 ? 0 : v);
  }
  return out;
}

struct Scale {
  double lo = 0, hi = 1;
  double from = 0, to = 1;  // pixels
  double operator()(double v) const { return from + (v - lo) / (hi - lo) * (to - from); }
};

// The range of the data, widened so that a single value or an all-zero series still draws.
std::pair<double, double> padded(double lo, double hi, bool from_zero) {
  if (from_zero) lo = std::min(lo, 0.0);
  if (!(hi > lo)) hi = lo + (lo == 0 ? 1 : std::abs(lo) * 0.1);
  return {lo, hi};
}

std::string open_svg(const std::string& title) {
  return fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {0} {1}\" width=\"{0}\" "
      "height=\"{1}\" role=\"img\" aria-label=\"{2}\">\n",
      kWidth, kHeight, escape(title));
}

std::string axes_svg(const Scale& x, const Scale& y, const Axes& axes, bool x_ticks = true) {
  std::string out;
  out += fmt::format("<g class=\"axis\"><line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\"/>"
                     "<line x1=\"{0}\" y1=\"{3}\" x2=\"{0}\" y2=\"{1}\"/>\n",
                     kLeft, kTop + kPlotH, kLeft + kPlotW, kTop);
  for (double t : ticks(y.lo, y.hi)) {
    out += fmt::format("<line class=\"grid\" x1=\"{0}\" y1=\"{1:.1f}\" x2=\"{2}\" y2=\"{1:.1f}\"/>"
                       "<text x=\"{3}\" y=\"{4:.1f}\" text-anchor=\"end\">{5}</text>\n",
                       kLeft, y(t), kLeft + kPlotW, kLeft - 6, y(t) + 4, short_number(t));
  }
  if (x_ticks) {
    for (double t : ticks(x.lo, x.hi, 8)) {
      out += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", x(t),
                         kTop + kPlotH + 16, short_number(t));
    }
  }
  out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
                     kLeft + kPlotW / 2, kHeight - 6, escape(axes.x_label));
  out += fmt::format("<text transform=\"translate(14 {}) rotate(-90)\" text-anchor=\"middle\">{}"
                     "</text></g>\n",
                     kTop + kPlotH / 2, escape(axes.y_label));
  return out;
}

std::string legend(const std::vector<std::string>& names, const std::vector<bool>& dashed = {}) {
  std::string out = "<g class=\"legend\">";
  double x = kLeft;
  for (size_t i = 0; i < names.size(); i++) {
    bool dash = i < dashed.size() && dashed[i];
    out += fmt::format("<line x1=\"{0:.0f}\" y1=\"12\" x2=\"{1:.0f}\" y2=\"12\" stroke=\"{2}\" "
                       "stroke-width=\"3\"{3}/><text x=\"{4:.0f}\" y=\"16\">{5}</text>",
                       x, x + 18, color(i), dash ? " stroke-dasharray=\"4 3\"" : "", x + 22,
                       escape(names[i]));
    x += 30 + 7.0 * static_cast<double>(names[i].size());
  }
  return out + "</g>\n";
}

Figure finish(std::string title, std::string caption, std::string body, size_t marks) {
  return {"", std::move(title), std::move(caption), std::move(body) + "</svg>", marks};
}

}  // namespace

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string short_number(double v) {
  double a = std::abs(v);
  auto trim = [](std::string s) {
    if (s.find('.') != std::string::npos) {
      while (s.back() == '0') s.pop_back();
      if (s.back() == '.') s.pop_back();
    }
    return s;
  };
  if (a >= 1e9) return trim(fmt::format("{:.2f}", v / 1e9)) + "G";
  if (a >= 1e6) return trim(fmt::format("{:.2f}", v / 1e6)) + "M";
  if (a >= 1e4) return trim(fmt::format("{:.1f}", v / 1e3)) + "k";
  if (a >= 100 || a == 0) return fmt::format("{:.0f}", v);
  if (a >= 1) return trim(fmt::format("{:.2f}", v));
  return trim(fmt::format("{:.3g}", v));
}

Figure line_chart(std::string title, std::string caption, const Axes& axes,
                  const std::vector<Series>& series, const std::vector<Rule>& rules) {
  double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
  for (const Series& s : series) {
    for (auto [x, y] : s.points) {
      x0 = std::min(x0, x), x1 = std::max(x1, x), y0 = std::min(y0, y), y1 = std::max(y1, y);
    }
  }
  for (const Rule& r : rules) y0 = std::min(y0, r.y), y1 = std::max(y1, r.y);
  if (x0 > x1) x0 = 0, x1 = 1;
  if (y0 > y1) y0 = 0, y1 = 1;
  auto [ylo, yhi] = padded(y0, y1 * 1.05, axes.y_from_zero);
  auto [xlo, xhi] = padded(x0, x1, false);
  Scale x{xlo, xhi, kLeft, kLeft + kPlotW}, y{ylo, yhi, kTop + kPlotH, kTop};
  std::string body = open_svg(title) + axes_svg(x, y, axes);
  std::vector<std::string> names;
  std::vector<bool> dashed;
  size_t marks = 0;
  for (size_t i = 0; i < series.size(); i++) {
    const Series& s = series[i];
    names.push_back(s.name);
    dashed.push_back(s.dashed);
    std::string path;
    for (auto [px, py] : s.points) path += fmt::format("{}{:.1f},{:.1f}", path.empty() ? "M" : " L", x(px), y(py));
    body += fmt::format("<g class=\"series\" data-name=\"{}\">", escape(s.name));
    if (s.points.size() > 1) {
      body += fmt::format("<path d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\"{}/>", path,
                          color(i), s.dashed ? " stroke-dasharray=\"4 3\"" : "");
    }
    // Dots shrink as the points crowd, down to a pixel.
    double r = std::clamp(kPlotW / (3.0 * static_cast<double>(s.points.size() + 1)), 1.0, 3.0);
    for (auto [px, py] : s.points) {
      body += fmt::format("<circle class=\"mark\" cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"{:.1f}\" "
                          "fill=\"{}\"><title>{}: {} at {}</title></circle>",
                          x(px), y(py), r, color(i), escape(s.name), short_number(py),
                          short_number(px));
      marks++;
    }
    body += "</g>\n";
  }
  for (size_t i = 0; i < rules.size(); i++) {
    const Rule& r = rules[i];
    size_t c = series.size() + i;
    names.push_back(r.name);
    dashed.push_back(true);
    body += fmt::format("<line class=\"rule\" x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" "
                        "stroke=\"{}\" stroke-dasharray=\"4 3\"><title>{}: {}</title></line>\n",
                        kLeft, y(r.y), kLeft + kPlotW, y(r.y), color(c), escape(r.name),
                        short_number(r.y));
  }
  body += legend(names, dashed);
  return finish(std::move(title), std::move(caption), std::move(body), marks);
}

Figure bar_chart(std::string title, std::string caption, const Axes& axes,
                 const std::vector<std::string>& labels, const std::vector<std::string>& series,
                 const std::vector<std::vector<double>>& values) {
  double y1 = 0;
  for (const auto& row : values) {
    for (double v : row) y1 = std::max(y1, v);
  }
  auto [ylo, yhi] = padded(0, y1 * 1.05, true);
  Scale y{ylo, yhi, kTop + kPlotH, kTop};
  Scale x{0, std::max<double>(1, static_cast<double>(labels.size())), kLeft, kLeft + kPlotW};
  std::string body = open_svg(title) + axes_svg(x, y, axes, false);
  double group = kPlotW / std::max<double>(1, static_cast<double>(labels.size()));
  double bar = group * 0.8 / std::max<double>(1, static_cast<double>(series.size()));
  // Labels are thinned to what fits: every k-th one.
  size_t every = std::max<size_t>(
      1, static_cast<size_t>(std::ceil(40.0 * static_cast<double>(labels.size()) / kPlotW)));
  size_t marks = 0;
  for (size_t l = 0; l < labels.size(); l++) {
    double gx = kLeft + group * static_cast<double>(l) + group * 0.1;
    for (size_t s = 0; s < series.size(); s++) {
      double v = l < values[s].size() ? values[s][l] : 0;
      double top = y(v);
      body += fmt::format("<rect class=\"mark\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.2f}\" "
                          "height=\"{:.1f}\" fill=\"{}\"><title>{} {}: {}</title></rect>",
                          gx + bar * static_cast<double>(s), top, std::max(bar - 0.5, 0.5),
                          kTop + kPlotH - top, color(s), escape(labels[l]), escape(series[s]),
                          short_number(v));
      marks++;
    }
    if (l % every == 0) {
      body += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                          gx + group * 0.4, kTop + kPlotH + 16, escape(labels[l]));
    }
    body += "\n";
  }
  if (series.size() > 1) body += legend(series);
  return finish(std::move(title), std::move(caption), std::move(body), marks);
}

Figure heat_map(std::string title, std::string caption, const std::string& row_label,
                const std::string& column_label, const std::vector<std::string>& rows,
                const std::vector<std::string>& columns,
                const std::vector<std::vector<double>>& cells) {
  double top = 0;
  for (const auto& row : cells) {
    for (double v : row) top = std::max(top, v);
  }
  double n_rows = std::max<double>(1, static_cast<double>(rows.size()));
  double n_cols = std::max<double>(1, static_cast<double>(columns.size()));
  double cell = std::min({36.0, kPlotW / n_cols, 480.0 / n_rows});
  double height = kTop + cell * n_rows + kBottom;
  std::string body = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {0} {1:.0f}\" width=\"{0}\" "
      "height=\"{1:.0f}\" role=\"img\" aria-label=\"{2}\">\n",
      kWidth, height, escape(title));
  size_t marks = 0;
  for (size_t r = 0; r < rows.size(); r++) {
    double yy = kTop + cell * static_cast<double>(r);
    body += fmt::format("<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>", kLeft - 6,
                        yy + cell / 2 + 4, escape(rows[r]));
    for (size_t c = 0; c < columns.size(); c++) {
      double v = r < cells.size() && c < cells[r].size() ? cells[r][c] : 0;
      // White for 0, then from light to dark blue on a square-root scale.
      double t = top > 0 ? std::sqrt(v / top) : 0;
      int shade = static_cast<int>(std::lround(255 - t * 200));
      body += fmt::format(
          "<rect class=\"mark\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" "
          "fill=\"rgb({},{},255)\" stroke=\"#ccc\"><title>{} {}, {} {}: {}</title></rect>",
          kLeft + cell * static_cast<double>(c), yy, cell, cell, shade, shade, escape(row_label),
          escape(rows[r]), escape(column_label), escape(columns[c]), short_number(v));
      if (cell >= 24 && v != 0) {
        body += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\" "
                            "font-size=\"9\" style=\"fill:{}\">{}</text>",
                            kLeft + cell * (static_cast<double>(c) + 0.5), yy + cell / 2 + 3,
                            t > 0.5 ? "#fff" : "#000", short_number(v));
      }
      marks++;
    }
    body += "\n";
  }
  for (size_t c = 0; c < columns.size(); c++) {
    if (cell >= 14 || c % 4 == 0) {
      body += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>",
                          kLeft + cell * (static_cast<double>(c) + 0.5), kTop - 6,
                          escape(columns[c]));
    }
  }
  body += fmt::format("<text x=\"{}\" y=\"{:.0f}\">rows: {}; columns: {}</text>\n", kLeft,
                      height - 12, escape(row_label), escape(column_label));
  return finish(std::move(title), std::move(caption), std::move(body), marks);
}

Figure histogram(std::string title, std::string caption, const Axes& axes,
                 const std::vector<Bucket>& buckets) {
  double lo = INFINITY, hi = -INFINITY, top = 0;
  for (const Bucket& b : buckets) {
    lo = std::min(lo, b.lo), hi = std::max(hi, b.hi), top = std::max(top, b.count);
  }
  if (!(hi > lo)) lo = 0, hi = 1;
  bool log_x = lo > 0 && hi / lo > 100;
  auto tx = [&](double v) { return log_x ? std::log10(v) : v; };
  Scale x{tx(lo), tx(hi), kLeft, kLeft + kPlotW};
  auto [ylo, yhi] = padded(0, top * 1.05, true);
  Scale y{ylo, yhi, kTop + kPlotH, kTop};
  std::string body = open_svg(title) + axes_svg(x, y, axes, false);
  // x ticks at the bucket edges that fit (log scale: decades).
  std::vector<double> edges;
  if (log_x) {
    for (double d = std::pow(10, std::ceil(std::log10(lo))); d <= hi; d *= 10) edges.push_back(d);
  } else {
    edges = ticks(lo, hi, 8);
  }
  for (double e : edges) {
    body += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>", x(tx(e)),
                        kTop + kPlotH + 16, short_number(e));
  }
  size_t marks = 0;
  for (const Bucket& b : buckets) {
    double left = x(tx(b.lo)), right = x(tx(b.hi));
    body += fmt::format("<rect class=\"mark\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.2f}\" "
                        "height=\"{:.1f}\" fill=\"{}\"><title>[{}, {}): {}</title></rect>\n",
                        left, y(b.count), std::max(right - left - 0.5, 0.5),
                        kTop + kPlotH - y(b.count), color(0), short_number(b.lo),
                        short_number(b.hi), short_number(b.count));
    marks++;
  }
  return finish(std::move(title), std::move(caption), std::move(body), marks);
}

}  // namespace gri::report::svg
