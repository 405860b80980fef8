#include "probe/maps.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>

namespace gri::probe {

Result<std::vector<uint64_t>> sum_percpu_u64(const bpf_map* map, uint32_t keys) {
  int ncpu = libbpf_num_possible_cpus();
  if (ncpu <= 0) return make_error("cannot count possible CPUs: {}", strerror(-ncpu));
  std::vector<uint64_t> per_cpu(static_cast<size_t>(ncpu)), out(keys);
  for (uint32_t k = 0; k < keys; k++) {
    if (bpf_map_lookup_elem(bpf_map__fd(map), &k, per_cpu.data()) != 0) {
      return make_error("cannot read map {} key {}: {}", bpf_map__name(map), k, strerror(errno));
    }
    for (uint64_t v : per_cpu) out[k] += v;
  }
  return out;
}

}  // namespace gri::probe
