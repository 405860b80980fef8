#include "exp/alloc/escape.h"

#include <charconv>
#include <set>
#include <sstream>

#include <fmt/format.h>

namespace gri::exp::alloc {

namespace {

std::string_view trim_dot(std::string_view f) { return f.starts_with("./") ? f.substr(2) : f; }

bool same_file(std::string_view site_path, std::string_view report_file) {
  std::string_view r = trim_dot(report_file);
  if (site_path.size() < r.size() || !site_path.ends_with(r)) return false;
  return site_path.size() == r.size() || site_path[site_path.size() - r.size() - 1] == '/';
}

}  // namespace

std::vector<EscapeReport> parse_escapes(std::string_view text, std::string_view file_prefix) {
  std::vector<EscapeReport> out;
  std::set<std::pair<std::string, int>> seen;
  std::istringstream in{std::string(text)};
  for (std::string l; std::getline(in, l);) {
    // FILE:LINE:COL: MESSAGE
    size_t c1 = l.find(':');
    if (c1 == std::string::npos) continue;
    size_t c2 = l.find(':', c1 + 1);
    if (c2 == std::string::npos) continue;
    size_t c3 = l.find(':', c2 + 1);
    if (c3 == std::string::npos || c3 + 2 > l.size()) continue;
    int line = 0;
    auto [p, ec] = std::from_chars(l.data() + c1 + 1, l.data() + c2, line);
    if (ec != std::errc() || p != l.data() + c2) continue;
    std::string file = l.substr(0, c1);
    std::string msg = l.substr(c3 + 2);
    std::string what;
    if (msg.starts_with("moved to heap: ")) {
      what = msg.substr(15);
    } else if (msg.ends_with(" escapes to heap") && !msg.starts_with("leaking param")) {
      what = msg.substr(0, msg.size() - 16);
    } else {
      continue;
    }
    if (!trim_dot(file).starts_with(trim_dot(file_prefix))) continue;
    if (!seen.insert({file, line}).second) continue;
    out.push_back({file, line, what});
  }
  return out;
}

EscapeComparison compare_escapes(const std::vector<EscapeReport>& reports,
                                 const std::vector<ObservedSite>& sites) {
  EscapeComparison c;
  std::set<size_t> matched;
  for (const ObservedSite& s : sites) {
    bool found = false;
    for (size_t i = 0; i < reports.size(); i++) {
      if (reports[i].line == s.line && same_file(s.file, reports[i].file)) {
        found = true;
        if (matched.insert(i).second) {
          c.confirmed.push_back(
              fmt::format("{}:{} {}", reports[i].file, reports[i].line, reports[i].what));
        }
      }
    }
    if (!found) c.unreported.push_back(fmt::format("{}:{} ({})", s.file, s.line, s.func));
  }
  for (size_t i = 0; i < reports.size(); i++) {
    if (!matched.count(i)) {
      c.unobserved.push_back(
          fmt::format("{}:{} {}", reports[i].file, reports[i].line, reports[i].what));
    }
  }
  return c;
}

}  // namespace gri::exp::alloc
