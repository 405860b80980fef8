#include "exp/gc/gc_counter.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

#include "gc.h"
#include "gc.skel.h"
#include "goelf/go_binary.h"
#include "probe/go_uprobe.h"
#include "probe/maps.h"
#include "probe/owned.h"

namespace gri::exp::gc {

struct GcCounter::State {
  probe::Owned<gc_bpf, gc_bpf__destroy> skel;
  std::vector<probe::Link> links;
};

GcCounter::GcCounter(std::unique_ptr<State> state) : state_(std::move(state)) {}
GcCounter::~GcCounter() = default;

Result<std::unique_ptr<GcCounter>> GcCounter::attach(const std::string& exe, pid_t pid) {
  auto bin = goelf::GoBinary::open(exe);
  if (!bin) return bin.error();

  auto state = std::make_unique<State>();
  state->skel.reset(gc_bpf__open());
  if (!state->skel) return make_error("cannot open the gc BPF object: {}", strerror(errno));
  state->skel->rodata->cfg.tgid = static_cast<__u32>(pid > 0 ? pid : 0);
  state->skel->rodata->cfg.pad = 0;
  if (int err = gc_bpf__load(state->skel.get()); err != 0) {
    return make_error("cannot load the gc BPF programs: {} (run gri doctor)", strerror(-err));
  }

  const std::array<probe::GoEntryProbe, 2> table = {{
      {state->skel->progs.gc_start, "runtime.gcStart"},
      {state->skel->progs.gc_mark_termination, "runtime.gcMarkTermination"},
  }};
  auto links = probe::attach_go_entries(*bin, table, pid);
  if (!links) return links.error();
  state->links = std::move(*links);
  return std::unique_ptr<GcCounter>(new GcCounter(std::move(state)));
}

Result<GcCounts> GcCounter::read() const {
  auto sums = probe::sum_percpu_u64(state_->skel->maps.counters, GC_CTR_NR);
  if (!sums) return sums.error();
  return GcCounts{(*sums)[GC_CTR_START], (*sums)[GC_CTR_START_FORCED], (*sums)[GC_CTR_MARK_TERM]};
}

}  // namespace gri::exp::gc
