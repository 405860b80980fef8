// The --pprof profile of gri alloc: the allocating stacks behind the sites table, whole
// (up to the 48 frames the kernel records), each pc expanded into its inlined frames from
// the pclntab, with the values the sites table sums: samples, and with --sites exact the
// refills and their span bytes. The profile's totals equal the table's.
#pragma once

#include <cstdint>
#include <map>

#include "exp/alloc/alloc_probes.h"
#include "goelf/go_binary.h"
#include "report/profile.h"

namespace gri::exp::alloc {

class SiteProfile {
 public:
  // `bias`: run-time minus link-time addresses; `refills`: --sites exact.
  SiteProfile(const goelf::GoBinary& bin, uint64_t bias, bool refills, uint64_t sample_hz);

  // A stack that the sites table counted at a site; `bytes`: what it added to the site's
  // bytes (refill stacks).
  void add(const StackCount& s, uint64_t bytes);

  // The profile of what was added, over a session of `duration_s` that ended now.
  report::Profile finish(double duration_s);

 private:
  const report::ProfileLocation& location(uint64_t pc, bool return_address);

  const goelf::GoBinary& bin_;
  uint64_t bias_;
  bool refills_;
  uint64_t sample_hz_;
  std::map<std::pair<uint64_t, bool>, report::ProfileLocation> locations_;
  report::Profile profile_;
};

}  // namespace gri::exp::alloc
