// EXP-04 in gri lab: gri alloc on go-probes/alloc with every toolchain.
#pragma once

#include "exp/registry.h"

namespace gri::exp::alloc {

bool lab_alloc(const LabContext& ctx);

}  // namespace gri::exp::alloc
