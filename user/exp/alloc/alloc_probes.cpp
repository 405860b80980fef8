#include "exp/alloc/alloc_probes.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

// The shared header first: the skeleton uses its structs.
#include "bpf/alloc.h"

#include "alloc.skel.h"
#include "probe/go_uprobe.h"
#include "probe/kernel_events.h"
#include "probe/owned.h"

namespace gri::exp::alloc {

struct AllocProbes::State {
  probe::Owned<alloc_bpf, alloc_bpf__destroy> skel;
  std::vector<probe::Link> links;
};

AllocProbes::AllocProbes(std::unique_ptr<State> state) : state_(std::move(state)) {}
AllocProbes::~AllocProbes() = default;

namespace {

// An entry probe after the prologue; whether its instruction is emulated.
Result<bool> attach_entry(bpf_program* prog, const goelf::GoBinary& bin, std::string_view fn,
                          pid_t pid, std::vector<probe::Link>* links, uint64_t cookie = 0) {
  auto point = probe::resolve_probe_point(bin, fn);
  if (!point) return point.error();
  auto link = probe::attach_entry(prog, bin, fn, *point, cookie, pid);
  if (!link) return link.error();
  links->push_back(std::move(*link));
  return point->entry_emulated;
}

}  // namespace

std::vector<std::string> specialized_malloc_functions(const goelf::GoBinary& bin,
                                                      uint32_t* max_class) {
  std::vector<std::string> out;
  *max_class = 0;
  for (const goelf::PclnFunction& f : bin.pclntab().functions) {
    for (std::string_view prefix : {"runtime.mallocgcTinySC", "runtime.mallocgcSmallNoScanSC",
                                    "runtime.mallocgcSmallScanNoHeaderSC"}) {
      if (!f.name.starts_with(prefix)) continue;
      std::string_view n = std::string_view(f.name).substr(prefix.size());
      if (n.empty() || n.find_first_not_of("0123456789") != std::string_view::npos) continue;
      *max_class =
          std::max<uint32_t>(*max_class, static_cast<uint32_t>(std::stoul(std::string(n))));
      out.push_back(f.name);
    }
  }
  return out;
}

Result<std::unique_ptr<AllocProbes>> AllocProbes::attach(const goelf::GoBinary& bin, pid_t pid,
                                                         const AllocProbeOptions& o) {
  auto state = std::make_unique<State>();
  state->skel.reset(alloc_bpf__open());
  if (!state->skel) return make_error("cannot open the alloc BPF object: {}", strerror(errno));
  auto& cfg = state->skel->rodata->cfg;
  cfg.tgid = static_cast<__u32>(pid > 0 ? pid : 0);
  cfg.hold_at_exit = o.hold_at_exit ? 1 : 0;
  cfg.type_ptrbytes = o.type_ptrbytes;
  cfg.pad = 0;
  if (int err = alloc_bpf__load(state->skel.get()); err != 0) {
    return make_error("cannot load the alloc BPF programs: {} (run gri doctor)", strerror(-err));
  }
  std::unique_ptr<AllocProbes> p(new AllocProbes(std::move(state)));
  auto& s = *p->state_;

  if (o.hold_at_exit) {
    // runtime.exit is assembly (sys_linux_*.s): .symtab says runtime.exit.abi0, the pclntab
    // runtime.exit, which is what gri's lookup finds.
    auto held = attach_entry(s.skel->progs.alloc_exit, bin, "runtime.exit", pid, &s.links);
    if (!held) p->exit_unavailable_ = held.error().message;
  }
  if (o.sample_hz) {
    auto links = probe::attach_cpu_clock_sampling(s.skel->progs.alloc_sample, o.sample_hz);
    if (!links) return links.error();
    for (auto& l : *links) s.links.push_back(std::move(l));
  }
  if (o.refill) {
    auto e =
        attach_entry(s.skel->progs.alloc_refill, bin, "runtime.(*mcache).refill", pid, &s.links);
    if (!e) return e.error();
    p->refill_emulated_ = *e;
  }
  if (o.mallocgc) {
    auto e = attach_entry(s.skel->progs.alloc_mallocgc, bin, "runtime.mallocgc", pid, &s.links,
                          o.specialized_below);
    if (!e) return e.error();
    p->mallocgc_emulated_ = *e;
    for (const std::string& fn : o.specialized) {
      auto sc = attach_entry(s.skel->progs.alloc_mallocgc, bin, fn, pid, &s.links);
      if (!sc) return sc.error();
      p->mallocgc_emulated_ = p->mallocgc_emulated_ && *sc;
    }
  }
  return p;
}

uint64_t AllocProbes::exit_holds() const {
  return __atomic_load_n(&state_->skel->bss->exit_holds, __ATOMIC_ACQUIRE);
}

Result<ProbeCounts> AllocProbes::read() const {
  ProbeCounts out;
  alloc_bpf& skel = *state_->skel;
  int sites = bpf_map__fd(skel.maps.sites);
  alloc_site_key key{}, next{};
  bool first = true;
  while (bpf_map_get_next_key(sites, first ? nullptr : &key, &next) == 0) {
    first = false;
    key = next;
    uint64_t count = 0;
    if (bpf_map_lookup_elem(sites, &key, &count) != 0) continue;
    StackCount sc;
    sc.refill = key.kind == ALLOC_SITE_REFILL;
    sc.span_class = key.spc;
    sc.count = count;
    for (uint64_t f : key.frames) {
      if (!f) break;
      sc.frames.push_back(f);
    }
    (sc.refill ? out.refills : out.samples) += count;
    out.stacks.push_back(std::move(sc));
  }
  int sizes = bpf_map__fd(skel.maps.sizes);
  uint64_t k = 0, nk = 0;
  first = true;
  while (bpf_map_get_next_key(sizes, first ? nullptr : &k, &nk) == 0) {
    first = false;
    k = nk;
    uint64_t count = 0;
    if (bpf_map_lookup_elem(sizes, &k, &count) == 0) out.sizes[k] = count;
  }
  out.mallocgc_calls = __atomic_load_n(&skel.bss->mallocgc_calls, __ATOMIC_RELAXED);
  out.lost = __atomic_load_n(&skel.bss->lost_sites, __ATOMIC_RELAXED) +
             __atomic_load_n(&skel.bss->lost_sizes, __ATOMIC_RELAXED);
  return out;
}

}  // namespace gri::exp::alloc
