// EXP-05's lab entry, as far as the experiment is built.
#pragma once

#include "exp/registry.h"

namespace gri::exp::gc {

// Runs gri gc --crosscheck on go-probes/gc (20 runtime.GC() calls, heap cycles in between)
// for each toolchain and prints the verdicts.
void lab_gc(const LabContext& ctx, lab::Outcomes& outcomes);

}  // namespace gri::exp::gc
