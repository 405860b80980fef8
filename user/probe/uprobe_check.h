// Uprobe self-test: attach a uprobe to a function of gri itself, call it, and count the
// hits. Proves that this machine loads BPF programs and fires uprobes, and times one hit
// (the figure every report's overhead estimate starts from).
#pragma once

#include <cstdint>

#include "common/result.h"

namespace gri::probe {

struct SelftestResult {
  uint64_t calls = 0;
  uint64_t hits = 0;
  double ns_per_hit = 0;  // probed call time minus unprobed call time
};

Result<SelftestResult> run_uprobe_selftest(uint64_t calls);

}  // namespace gri::probe
