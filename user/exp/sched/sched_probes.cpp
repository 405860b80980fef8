#include "exp/sched/sched_probes.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include <fmt/format.h>

#include "goelf/runtime_layout.h"
#include "probe/go_offsets.h"
#include "probe/go_uprobe.h"
#include "probe/kernel_events.h"
#include "probe/maps.h"
#include "probe/owned.h"
#include "bpf/sched.h"
#include "sched.skel.h"

namespace gri::exp::sched {

namespace {

// The --deep probes: a round is findRunnable entry -> execute entry on one thread; the
// others mark where findRunnable took the work from (bpf/sched.bpf.c). runtime.globrunqget
// is a symbol up to Go 1.24 and inlined from 1.25, where runtime.globrunqgetbatch takes its
// place (GO-RUNTIME.md section 2); a binary has one or the other.
struct DeepRow {
  const char* function;
  enum sched_hit hit;
  bool required;
};
constexpr DeepRow kDeepRows[] = {
    {"runtime.findRunnable", SCHED_HIT_FIND, true},
    {"runtime.execute", SCHED_HIT_EXECUTE, true},
    {"runtime.globrunqget", SCHED_HIT_GLOBAL, false},
    {"runtime.globrunqgetbatch", SCHED_HIT_GLOBAL, false},
    {"runtime.injectglist", SCHED_HIT_NETPOLL, false},
    {"runtime.runqsteal", SCHED_HIT_STEAL, false},
    {"runtime.stopm", SCHED_HIT_STOPM, false},
};

bpf_program* deep_program(sched_bpf* skel, enum sched_hit hit) {
  switch (hit) {
    case SCHED_HIT_FIND: return skel->progs.sched_find_runnable;
    case SCHED_HIT_EXECUTE: return skel->progs.sched_execute;
    case SCHED_HIT_GLOBAL: return skel->progs.sched_global;
    case SCHED_HIT_NETPOLL: return skel->progs.sched_netpoll;
    case SCHED_HIT_STEAL: return skel->progs.sched_steal;
    case SCHED_HIT_STOPM: return skel->progs.sched_stopm;
    default: return nullptr;
  }
}

uint64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace

struct SchedProbes::State {
  probe::Owned<sched_bpf, sched_bpf__destroy> skel;
  std::vector<probe::Link> links;
  bool deep = false;
  std::vector<DeepPoint> deep_points;
  std::vector<enum sched_hit> deep_hits;  // per deep_points entry
  std::vector<std::string> deep_missing;
};

SchedProbes::SchedProbes(std::unique_ptr<State> state) : state_(std::move(state)) {}
SchedProbes::~SchedProbes() = default;

Result<std::unique_ptr<SchedProbes>> SchedProbes::attach(const goelf::GoBinary& bin, pid_t pid,
                                                         bool deep) {
  auto state = std::make_unique<State>();
  state->deep = deep;
  state->skel.reset(sched_bpf__open());
  if (!state->skel) return make_error("cannot open the sched BPF object: {}", strerror(errno));
  sched_bpf* skel = state->skel.get();
  skel->rodata->cfg.tgid = static_cast<__u32>(pid > 0 ? pid : 0);
  skel->rodata->cfg.deep = 0;
  skel->rodata->cfg.go = go_offsets{};
  if (deep) {
    goelf::RuntimeLayout layout = goelf::resolve_layout(bin);
    auto offsets = probe::resolve_go_offsets(layout, bin.build().go_version);
    if (!offsets) return make_error("--deep needs the P of each round: {}", offsets.error().message);
    skel->rodata->cfg.go = *offsets;
    skel->rodata->cfg.deep = 1;
  }
  if (int err = sched_bpf__load(skel); err != 0) {
    return make_error("cannot load the sched BPF programs: {} (run gri doctor)", strerror(-err));
  }

  const struct {
    bpf_program* prog;
    const char* name;
  } tracepoints[] = {{skel->progs.sched_switch, "sched_switch"},
                     {skel->progs.sched_wakeup, "sched_wakeup"},
                     {skel->progs.sched_wakeup_new, "sched_wakeup_new"}};
  for (const auto& tp : tracepoints) {
    auto link = probe::attach_tracepoint(tp.prog, "sched", tp.name);
    if (!link) return link.error();
    state->links.push_back(std::move(*link));
  }

  if (deep) {
    for (const DeepRow& row : kDeepRows) {
      auto point = probe::resolve_probe_point(bin, row.function);
      if (!point) {
        if (row.required) return point.error();
        // globrunqget and globrunqgetbatch: a binary has one of them; only a missing pair is
        // worth a degraded entry, which the caller decides from the hits' names.
        state->deep_missing.push_back(fmt::format("{}: {}", row.function, point.error().message));
        continue;
      }
      auto link = probe::attach_entry(deep_program(skel, row.hit), bin, row.function, *point, 0, pid);
      if (!link) return link.error();
      state->links.push_back(std::move(*link));
      state->deep_points.push_back({row.function, point->entry_emulated, 0});
      state->deep_hits.push_back(row.hit);
    }
  }
  return std::unique_ptr<SchedProbes>(new SchedProbes(std::move(state)));
}

Result<SchedCounts> SchedProbes::read() const {
  sched_bpf* skel = state_->skel.get();
  SchedCounts out;
  uint64_t now = monotonic_ns();

  // Blocked time per stack id: the closed intervals (the blocked map) and the open ones of
  // threads blocked now.
  std::map<int32_t, BlockedStack> by_id;
  int fd = bpf_map__fd(skel->maps.threads);
  __u32 key = 0, next = 0;
  __u32* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    sched_thread t{};
    if (bpf_map_lookup_elem(fd, &next, &t) == 0) {
      // The state it is in now has run up to now: count it, as the BPF side would at its end.
      uint64_t open = t.state && now > t.ts ? now - t.ts : 0;
      ThreadTimes tt{next, t.on_cpu_ns, t.runq_ns, t.off_cpu_ns, t.switches};
      if (t.state == SCHED_RUNNING) tt.on_cpu_ns += open;
      if (t.state == SCHED_RUNNABLE) tt.runq_ns += open;
      if (t.state == SCHED_BLOCKED) {
        tt.off_cpu_ns += open;
        by_id[t.stack_id].ns += open;
      }
      out.threads.push_back(tt);
    }
    key = next;
    prev = &key;
  }

  int bfd = bpf_map__fd(skel->maps.blocked);
  __s32 bkey = 0, bnext = 0;
  __s32* bprev = nullptr;
  while (bpf_map_get_next_key(bfd, bprev, &bnext) == 0) {
    sched_blocked b{};
    if (bpf_map_lookup_elem(bfd, &bnext, &b) == 0) {
      BlockedStack& s = by_id[bnext];
      s.ns += b.ns;
      s.count += b.count;
    }
    bkey = bnext;
    bprev = &bkey;
  }
  int sfd = bpf_map__fd(skel->maps.stacks);
  for (auto& [id, s] : by_id) {
    if (id >= 0) {
      uint64_t frames[SCHED_STACK_FRAMES] = {};
      if (bpf_map_lookup_elem(sfd, &id, frames) == 0) {
        for (uint64_t pc : frames) {
          if (!pc) break;
          s.frames.push_back(pc);
        }
      }
    }
    out.blocked.push_back(std::move(s));
  }
  out.lost_threads = __atomic_load_n(&skel->bss->lost_threads, __ATOMIC_RELAXED);
  out.lost_stacks = __atomic_load_n(&skel->bss->lost_stacks, __ATOMIC_RELAXED);

  if (state_->deep) {
    auto hits = probe::sum_percpu_u64(skel->maps.hits, SCHED_HIT_NR);
    if (!hits) return hits.error();
    out.deep_points = state_->deep_points;
    for (size_t i = 0; i < out.deep_points.size(); ++i) {
      out.deep_points[i].hits = (*hits)[state_->deep_hits[i]];
    }
    out.deep_missing = state_->deep_missing;
    int pfd = bpf_map__fd(skel->maps.p_rounds);
    __s32 pkey = 0, pnext = 0;
    __s32* pprev = nullptr;
    while (bpf_map_get_next_key(pfd, pprev, &pnext) == 0) {
      sched_p_rounds r{};
      if (bpf_map_lookup_elem(pfd, &pnext, &r) == 0) {
        PRounds pr{pnext, r.rounds, r.found_rounds, r.find_ns, {}};
        for (int i = 0; i < SCHED_SRC_NR; ++i) pr.source[i] = r.source[i];
        out.p_rounds.push_back(pr);
      }
      pkey = pnext;
      pprev = &pkey;
    }
  }
  return out;
}

}  // namespace gri::exp::sched
