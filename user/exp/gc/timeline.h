// EXP-05's timeline (--perfetto): each cycle's phases and stop-the-world pauses as slices,
// its heap figures as counters, on the runtime's own clock (work.tSweepTerm ... tEnd are
// nanotime(), CLOCK_MONOTONIC on Linux).
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "exp/gc/gc_counter.h"
#include "report/timeline.h"

namespace gri::exp::gc {

// Adds `cycles` to `t`. `figures` is the report's data.cycles, one object per cycle in the
// same order: each cycle's slice carries its object as args.
void add_timeline(const std::vector<GcCycle>& cycles, const nlohmann::ordered_json& figures,
                  report::Timeline& t);

}  // namespace gri::exp::gc
