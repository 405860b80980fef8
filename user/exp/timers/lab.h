// EXP-08 in gri lab: gri timers --locks on go-probes/timers with every toolchain, beside the
// same rounds on the workload's global-mutex baseline (-impl global).
#pragma once

#include "exp/registry.h"

namespace gri::exp::timers {

void lab_timers(const LabContext& ctx, lab::Outcomes& outcomes);

}  // namespace gri::exp::timers
