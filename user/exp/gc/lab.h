// EXP-05's lab entry, as far as the experiment is built.
#pragma once

#include "exp/registry.h"

namespace gri::exp::gc {

// Runs go-probes/gc (20 runtime.GC() calls, heap cycles in between) under GODEBUG=gctrace=1
// for each toolchain, and checks gri's counts against the runtime's own lines.
bool lab_cycle_count(const LabContext& ctx);

}  // namespace gri::exp::gc
