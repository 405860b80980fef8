#include "exp/sched/schedtrace.h"

#include <charconv>
#include <optional>

namespace gri::exp::sched {

namespace {

std::optional<int64_t> number_after(std::string_view line, std::string_view key, size_t* end) {
  size_t at = line.find(key);
  if (at == std::string_view::npos) return std::nullopt;
  const char* first = line.data() + at + key.size();
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(first, line.data() + line.size(), v);
  if (ec != std::errc()) return std::nullopt;
  if (end) *end = static_cast<size_t>(ptr - line.data());
  return v;
}

}  // namespace

std::vector<SchedtraceLine> parse_schedtrace(std::string_view text) {
  std::vector<SchedtraceLine> out;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (!line.starts_with("SCHED ")) continue;
    SchedtraceLine l;
    size_t end = 0;
    auto ms = number_after(line, "SCHED ", nullptr);
    auto idle = number_after(line, "idleprocs=", nullptr);
    auto global = number_after(line, "runqueue=", &end);
    if (!ms || !idle || !global) continue;
    l.ms = static_cast<uint64_t>(*ms);
    l.idleprocs = *idle;
    l.global_runq = *global;
    size_t open = line.find('[', end), close = line.find(']', end);
    if (open == std::string_view::npos || close == std::string_view::npos || close < open) continue;
    std::string_view list = line.substr(open + 1, close - open - 1);
    bool ok = true;
    while (ok) {
      size_t skip = list.find_first_not_of(' ');
      if (skip == std::string_view::npos) break;
      list.remove_prefix(skip);
      int64_t v = 0;
      auto [ptr, ec] = std::from_chars(list.data(), list.data() + list.size(), v);
      ok = ec == std::errc();
      if (ok) {
        l.local_runq.push_back(v);
        list.remove_prefix(static_cast<size_t>(ptr - list.data()));
      }
    }
    if (ok) out.push_back(std::move(l));
  }
  return out;
}

}  // namespace gri::exp::sched
