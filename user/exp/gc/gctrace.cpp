#include "exp/gc/gctrace.h"

#include <charconv>

namespace gri::exp::gc {

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
    c.forced = line.ends_with("(forced)");
    out.push_back(c);
  }
  return out;
}

}  // namespace gri::exp::gc
