// EXP-02 in gri lab: gri preempt on go-probes/preempt with every toolchain.
#pragma once

#include "exp/registry.h"

namespace gri::exp::preempt {

void lab_preempt(const LabContext& ctx, lab::Outcomes& outcomes);

}  // namespace gri::exp::preempt
