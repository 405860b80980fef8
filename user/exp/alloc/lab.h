// EXP-04 in gri lab: gri alloc on go-probes/alloc with every toolchain.
#pragma once

#include "exp/registry.h"

namespace gri::exp::alloc {

void lab_alloc(const LabContext& ctx, lab::Outcomes& outcomes);

}  // namespace gri::exp::alloc
