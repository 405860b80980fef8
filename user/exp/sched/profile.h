// The --pprof profile of gri sched: the threads' blocked time by the user stack they
// switched out with, whole, each pc expanded into its inlined frames from the pclntab. Its
// totals equal the sums of the blocked table (data.threads.blocked: s and count).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "exp/sched/sched_probes.h"
#include "goelf/pclntab.h"
#include "report/profile.h"

namespace gri::exp::sched {

// `load_bias`: run-time minus link-time addresses; `duration_s`: the session's, ended now.
report::Profile blocked_profile(const std::string& binary, const goelf::Pclntab& table,
                                const std::vector<BlockedStack>& blocked, uint64_t load_bias,
                                double duration_s);

}  // namespace gri::exp::sched
