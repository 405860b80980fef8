#include "exp/alloc/profile.h"

#include <chrono>
#include <cmath>

#include <fmt/format.h>

namespace gri::exp::alloc {

SiteProfile::SiteProfile(const goelf::GoBinary& bin, uint64_t bias, bool refills,
                         uint64_t sample_hz)
    : bin_(bin), bias_(bias), refills_(refills), sample_hz_(sample_hz) {
  profile_.sample_types = {{"samples", "count"}};
  // Named as Go's own heap profiles name them, so -sample_index=alloc_space works as usual;
  // here they are the spans' bytes (refills x objects per span x object size), the same
  // figure as the sites table's "bytes".
  if (refills_) {
    profile_.sample_types.push_back({"refills", "count"});
    profile_.sample_types.push_back({"alloc_space", "bytes"});
  }
  profile_.period_type = {"cpu", "nanoseconds"};
  profile_.binary = bin.path();
  profile_.period = sample_hz_ ? static_cast<int64_t>(1'000'000'000 / sample_hz_) : 0;
}

const report::ProfileLocation& SiteProfile::location(uint64_t pc, bool return_address) {
  auto [it, added] = locations_.try_emplace({pc, return_address});
  if (!added) return it->second;
  report::ProfileLocation& l = it->second;
  // A return address is looked up at the CALL before it (pclntab.h); the location keeps
  // the link-time address itself, as pprof expects of a caller's location.
  l.address = pc - bias_;
  for (goelf::SourceFrame& f : bin_.pclntab().frames(l.address - (return_address ? 1 : 0))) {
    l.frames.push_back({std::move(f.func), std::move(f.file), f.line});
  }
  return l;
}

void SiteProfile::add(const StackCount& s, uint64_t bytes) {
  report::ProfileSample sample;
  for (size_t i = 0; i < s.frames.size(); i++) sample.stack.push_back(location(s.frames[i], i > 0));
  auto count = static_cast<int64_t>(s.count);
  if (!refills_) {
    sample.values = {count};
  } else if (s.refill) {
    sample.values = {0, count, static_cast<int64_t>(bytes)};
  } else {
    sample.values = {count, 0, 0};
  }
  profile_.samples.push_back(std::move(sample));
}

report::Profile SiteProfile::finish(double duration_s) {
  auto ns = static_cast<int64_t>(std::llround(duration_s * 1e9));
  profile_.duration_ns = ns;
  profile_.time_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count() -
                     ns;
  profile_.comments.push_back(fmt::format(
      "gri alloc: cpu-clock samples at {} Hz in the allocator, by user stack", sample_hz_));
  if (refills_) {
    profile_.comments.push_back(
        "refills: spans an mcache took (runtime.(*mcache).refill); alloc_space: their bytes");
  }
  return std::move(profile_);
}

}  // namespace gri::exp::alloc
