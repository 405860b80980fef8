// EXP-07's lab entry: the A/B of swiss and bucket maps on go-probes/maps.
#pragma once

#include "exp/registry.h"

namespace gri::exp::maps {

// For every toolchain's go-probes/maps (and maps-noswiss on go1.24/1.25): ns per operation
// of untraced runs by phase, size and key type; cachegrind's simulated instructions and
// cache misses per operation (no hardware PMU is read); the lookup functions' SSE2 group
// matching by disassembly; gri maps' growths. Then the four verdicts for each pair: swiss
// and buckets of one compiler, and the oldest bucket release against each swiss-only one.
// With a log folder, the figures are kept in EXP-07-ab.json there.
void lab_maps(const LabContext& ctx, lab::Outcomes& outcomes);

}  // namespace gri::exp::maps
