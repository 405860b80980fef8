// Reading BPF maps from user space.
#pragma once

#include <cstdint>
#include <vector>

#include "common/result.h"

struct bpf_map;

namespace gri::probe {

// A per-CPU array of u64 summed over the CPUs: one value per key 0..keys-1.
Result<std::vector<uint64_t>> sum_percpu_u64(const bpf_map* map, uint32_t keys);

}  // namespace gri::probe
