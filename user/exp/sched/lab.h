// EXP-01 in gri lab: gri sched on go-probes/sched with every toolchain.
#pragma once

#include "exp/registry.h"

namespace gri::exp::sched {

void lab_sched(const LabContext& ctx, lab::Outcomes& outcomes);

}  // namespace gri::exp::sched
