#include "exp/sched/profile.h"

#include <chrono>
#include <cmath>
#include <map>

namespace gri::exp::sched {

report::Profile blocked_profile(const std::string& binary, const goelf::Pclntab& table,
                                const std::vector<BlockedStack>& blocked, uint64_t load_bias,
                                double duration_s) {
  report::Profile p;
  // As Go's block profile names its values (runtime/pprof: contentions/count, delay/ns).
  p.sample_types = {{"blockings", "count"}, {"delay", "nanoseconds"}};
  p.period_type = {"blockings", "count"};
  p.period = 1;
  p.binary = binary;
  std::map<std::pair<uint64_t, bool>, report::ProfileLocation> cache;
  auto location = [&](uint64_t pc, bool return_address) -> const report::ProfileLocation& {
    auto [it, added] = cache.try_emplace({pc, return_address});
    if (added) {
      // A return address is looked up at the CALL before it (pclntab.h); the location
      // keeps the link-time address itself, as pprof expects of a caller's location.
      it->second.address = pc - load_bias;
      for (goelf::SourceFrame& f : table.frames(pc - load_bias - (return_address ? 1 : 0))) {
        it->second.frames.push_back({std::move(f.func), std::move(f.file), f.line});
      }
    }
    return it->second;
  };
  for (const BlockedStack& b : blocked) {
    report::ProfileSample s;
    for (size_t i = 0; i < b.frames.size(); i++) s.stack.push_back(location(b.frames[i], i > 0));
    // Counted as "unknown" in the table: kept, under a name that says why.
    if (s.stack.empty()) s.stack.push_back({0, {{"[no user stack recorded]", "", 0}}});
    s.values = {static_cast<int64_t>(b.count), static_cast<int64_t>(b.ns)};
    p.samples.push_back(std::move(s));
  }
  p.duration_ns = static_cast<int64_t>(std::llround(duration_s * 1e9));
  p.time_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count() -
              p.duration_ns;
  p.comments.push_back(
      "gri sched: time the target's threads spent blocked (off a CPU, not runnable), by the "
      "user stack they switched out with");
  return p;
}

}  // namespace gri::exp::sched
