// EXP-06's lab entry.
#pragma once

#include "exp/registry.h"

namespace gri::exp::wb {

// Runs gri wb on go-probes/wb (goroutines rewriting a live graph during forced collections)
// for each toolchain and prints the verdicts.
void lab_wb(const LabContext& ctx, lab::Outcomes& outcomes);

}  // namespace gri::exp::wb
