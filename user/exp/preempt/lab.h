// EXP-02 in gri lab: gri preempt on go-probes/preempt with every toolchain.
#pragma once

#include "exp/registry.h"

namespace gri::exp::preempt {

bool lab_preempt(const LabContext& ctx);

}  // namespace gri::exp::preempt
