#include "exp/gc/gctrace.h"

#include <charconv>

namespace gri::exp::gc {

namespace {

std::optional<double> to_double(std::string_view s, int* decimals) {
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  auto dot = s.find('.');
  *decimals = dot == std::string_view::npos ? 0 : static_cast<int>(s.size() - dot - 1);
  return v;
}

std::optional<uint64_t> to_u64(std::string_view s) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// "..., 0.10+0.27+0.009 ms clock, ..., 3->4->4 MB, 4 MB goal, ..."
void parse_figures(std::string_view line, GctraceCycle& c) {
  size_t clock = line.find(" ms clock");
  if (clock != std::string_view::npos) {
    size_t start = line.rfind(' ', clock - 1) + 1;
    std::string_view parts = line.substr(start, clock - start);
    for (int i = 0; i < 3; i++) {
      size_t plus = parts.find('+');
      c.clock_ms[i] = to_double(parts.substr(0, plus), &c.clock_decimals[i]);
      if (plus == std::string_view::npos) break;
      parts = parts.substr(plus + 1);
    }
  }
  size_t cpu = line.find(" ms cpu");
  if (cpu != std::string_view::npos) {
    size_t start = line.rfind(' ', cpu - 1) + 1;
    std::string_view parts = line.substr(start, cpu - start);  // a+b/c/d+e
    size_t plus = parts.find('+'), slash = parts.find('/');
    if (plus != std::string_view::npos && slash != std::string_view::npos && slash > plus) {
      c.assist_cpu_ms = to_double(parts.substr(plus + 1, slash - plus - 1), &c.assist_decimals);
    }
  }
  size_t mb = line.find(" MB, ");
  if (mb != std::string_view::npos) {
    size_t start = line.rfind(' ', mb - 1) + 1;
    std::string_view heaps = line.substr(start, mb - start);  // A->B->C
    size_t a = heaps.find("->"), b = heaps.find("->", a == std::string_view::npos ? 0 : a + 2);
    if (a != std::string_view::npos && b != std::string_view::npos) {
      c.heap0_mb = to_u64(heaps.substr(0, a));
      c.heap1_mb = to_u64(heaps.substr(a + 2, b - a - 2));
      c.heap2_mb = to_u64(heaps.substr(b + 2));
    }
    size_t goal = line.find(" MB goal", mb + 5);
    if (goal != std::string_view::npos) c.goal_mb = to_u64(line.substr(mb + 5, goal - mb - 5));
  }
}

}  // namespace

std::vector<GctraceCycle> parse_gctrace(std::string_view text) {
  std::vector<GctraceCycle> out;
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    if (!line.starts_with("gc ")) continue;
    GctraceCycle c;
    auto [end, ec] = std::from_chars(line.data() + 3, line.data() + line.size(), c.n);
    if (ec != std::errc{} || std::string_view(end, line.data() + line.size()).substr(0, 2) != " @") {
      continue;
    }
    c.complete = eol != std::string_view::npos;
    c.forced = line.ends_with("(forced)");
    parse_figures(line, c);
    out.push_back(c);
  }
  return out;
}

}  // namespace gri::exp::gc
