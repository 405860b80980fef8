// EXP-03 in gri lab: gri steal on go-probes/steal with every toolchain.
#pragma once

#include "exp/registry.h"

namespace gri::exp::steal {

void lab_steal(const LabContext& ctx, lab::Outcomes& outcomes);

}  // namespace gri::exp::steal
