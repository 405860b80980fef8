#include "exp/gc/gc_counter.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <array>
#include <map>
#include <tuple>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <vector>

#include "bpf/gc.h"
#include "gc.skel.h"
#include "goelf/go_binary.h"
#include "goelf/runtime_layout.h"
#include "probe/go_uprobe.h"
#include "probe/kernel_events.h"
#include "probe/maps.h"
#include "probe/owned.h"

namespace gri::exp::gc {

struct GcCounter::State {
  probe::Owned<gc_bpf, gc_bpf__destroy> skel;
  std::vector<probe::Link> links;
  probe::RingBuffer ring;
  std::vector<GcCycle> cycles;
  std::string cycles_unavailable;
  std::array<bool, GC_CTR_NR> emulated{};  // per hit counter: its probe sits on a PUSH
  std::string mark_probes;
  std::vector<std::string> stw_names;  // stwReason -> name, from the binary
  std::string stw_unavailable;
};

namespace {

int on_cycle(void* ctx, void* data, size_t size) {
  if (size < sizeof(gc_cycle_event)) return 0;
  gc_cycle_event e;
  std::memcpy(&e, data, sizeof(e));
  static_cast<std::vector<GcCycle>*>(ctx)->push_back(
      {e.numgc, e.heap0, e.heap1, e.heap2, e.heap_goal, e.gc_percent, e.memory_limit,
       e.user_forced != 0, e.trigger_kind, e.ktime_ns, e.t_sweep_term, e.t_mark, e.t_mark_term,
       e.t_end, e.assist_ns, e.assists, e.wb_flushes, e.wb_pointers, e.grey_calls,
       e.shade_calls, e.watch_addr, e.watch_ktime_ns, e.watch_reaches, e.watch_by, e.watch_p});
  return 0;
}

// The fields and globals a cycle event reads, from the binary's layout; what is missing and
// why otherwise.
Result<gc_offsets> cycle_offsets(const goelf::RuntimeLayout& layout) {
  gc_offsets o{};
  std::vector<std::string> missing;
  auto global = [&](const char* name, __u64& out) {
    const goelf::ResolvedGlobal* g = layout.global(name);
    if (g && g->address) {
      out = *g->address;
    } else {
      missing.push_back(fmt::format("{} ({})", name, g ? g->reason : "not in the catalog"));
    }
  };
  auto field = [&](const char* key, __u32& out) {
    if (auto f = layout.offset(key)) out = static_cast<__u32>(*f); else missing.push_back(key);
  };
  global("runtime.work", o.work);
  global("runtime.gcController", o.gc_controller);
  global("runtime.memstats", o.memstats);
  field("workType.heap0", o.work_heap0);
  field("workType.heap1", o.work_heap1);
  field("workType.heap2", o.work_heap2);
  field("workType.userForced", o.work_user_forced);
  field("gcControllerState.lastHeapGoal", o.last_heap_goal);
  field("gcControllerState.gcPercent", o.gc_percent);
  field("gcControllerState.memoryLimit", o.memory_limit);
  field("mstats.numgc", o.numgc);
  field("workType.tSweepTerm", o.t_sweep_term);
  field("workType.tMark", o.t_mark);
  field("workType.tMarkTerm", o.t_mark_term);
  field("workType.tEnd", o.t_end);
  field("gcControllerState.assistTime", o.assist_time);
  field("p.wbBuf.next", o.wbbuf_next);
  field("p.wbBuf.end", o.wbbuf_end);
  field("p.wbBuf.buf", o.wbbuf_buf);
  global("runtime.gcphase", o.gcphase);
  field("g.goid", o.go.g_goid);
  field("g.m", o.go.g_m);
  field("m.p", o.go.m_p);
  field("p.id", o.go.p_id);
  field("p.gcMarkWorkerMode", o.p_mark_worker_mode);
  if (!missing.empty()) {
    return make_error("per-cycle figures need {}", fmt::join(missing, ", "));
  }
  return o;
}

// runtime.stwReasonStrings ([...]string, Go 1.21+ src/runtime/proc.go) as the binary has it:
// the names of the stwReason values, in order.
Result<std::vector<std::string>> stw_reason_names(const goelf::GoBinary& bin,
                                                  const goelf::RuntimeLayout& layout) {
  const goelf::ResolvedGlobal* g = layout.global("runtime.stwReasonStrings");
  if (!g || !g->address || !g->size) {
    return make_error("runtime.stwReasonStrings: {}", g ? g->reason : "not in the catalog");
  }
  auto table = bin.elf().read(*g->address, *g->size);
  if (!table) return table.error();
  std::vector<std::string> names;
  for (size_t at = 0; at + 16 <= table->size(); at += 16) {
    uint64_t ptr = 0, len = 0;
    std::memcpy(&ptr, table->data() + at, 8);
    std::memcpy(&len, table->data() + at + 8, 8);
    if (len > 256) return make_error("runtime.stwReasonStrings[{}] has length {}", at / 16, len);
    auto text = bin.elf().read(ptr, len);
    if (!text) return text.error();
    names.emplace_back(text->begin(), text->end());
  }
  return names;
}

// A pause's reason for the report. Go 1.19 names the GC's own pauses by what gcStart and
// gcMarkDone leave in m.preemptoff (see bpf/gc.h).
std::string stw_reason(const gc_stw_key& key, const std::vector<std::string>& names) {
  if (key.code != GC_STW_NO_CODE) {
    return key.code < names.size() ? names[key.code] : fmt::format("stwReason {}", key.code);
  }
  std::string text(key.text, strnlen(key.text, sizeof(key.text)));
  if (text.empty()) return "GC sweep termination";
  if (text == "gcing") return "GC mark termination";
  return text;
}

}  // namespace

GcCounter::GcCounter(std::unique_ptr<State> state) : state_(std::move(state)) {}
GcCounter::~GcCounter() = default;

Result<std::unique_ptr<GcCounter>> GcCounter::attach(const std::string& exe, pid_t pid,
                                                     GcProbeOptions options) {
  auto bin = goelf::GoBinary::open(exe);
  if (!bin) return bin.error();

  auto state = std::make_unique<State>();
  state->skel.reset(gc_bpf__open());
  if (!state->skel) return make_error("cannot open the gc BPF object: {}", strerror(errno));
  state->skel->rodata->cfg.tgid = static_cast<__u32>(pid > 0 ? pid : 0);
  goelf::RuntimeLayout layout = goelf::resolve_layout(*bin);
  auto offsets = cycle_offsets(layout);
  state->skel->rodata->cfg.cycle_events = offsets ? 1 : 0;
  if (!options.watch_global.empty()) {
    const goelf::Symbol* sym = bin->elf().find_object(options.watch_global);
    if (!sym) {
      return make_usage_error("--watch {}: no such global in {}{}", options.watch_global, exe,
                              bin->stripped() ? " (stripped: no symbol table)" : "");
    }
    state->skel->rodata->cfg.watch_global = sym->addr;
  }
  state->skel->rodata->cfg.off = offsets ? *offsets : gc_offsets{};
  // Pause reasons: stopTheWorldWithSema's argument from Go 1.21, m.preemptoff before.
  auto minor = goelf::go_minor_version(bin->build().go_version);
  if (minor && minor->second >= 21) {
    state->skel->rodata->cfg.stw_reason_arg = 1;
    auto names = stw_reason_names(*bin, layout);
    if (names) state->stw_names = std::move(*names); else state->stw_unavailable = names.error().message;
  } else if (auto off = layout.offset("m.preemptoff"), gm = layout.offset("g.m"); off && gm) {
    state->skel->rodata->cfg.stw_preemptoff = 1;
    state->skel->rodata->cfg.off.m_preemptoff = static_cast<__u32>(*off);
    state->skel->rodata->cfg.off.go.g_m = static_cast<__u32>(*gm);
  } else {
    state->stw_unavailable = fmt::format("no offset for m.preemptoff or g.m ({})", bin->build().go_version);
  }
  if (!offsets) state->cycles_unavailable = offsets.error().message;
  if (int err = gc_bpf__load(state->skel.get()); err != 0) {
    return make_error("cannot load the gc BPF programs: {} (run gri doctor)", strerror(-err));
  }

  gc_bpf* skel = state->skel.get();
  // Every probe with its site's link-time address as cookie (the PIE load bias is the
  // probe's own address minus it), and whether the site is emulated, for the cost.
  auto attach = [&](bpf_program* prog, std::string_view function, int counter) -> Status {
    auto point = probe::resolve_probe_point(*bin, function);
    if (!point) return point.error();
    auto link = probe::attach_entry(prog, *bin, function, *point, point->site(), pid);
    if (!link) return link.error();
    state->links.push_back(std::move(*link));
    state->emulated[counter] = point->entry_emulated;
    return {};
  };
  const std::tuple<bpf_program*, std::string_view, int> always[] = {
      {skel->progs.gc_start, "runtime.gcStart", GC_CTR_START},
      {skel->progs.gc_mark_termination, "runtime.gcMarkTermination", GC_CTR_MARK_TERM},
      {skel->progs.gc_assist, "runtime.gcAssistAlloc", GC_CTR_HIT_ASSIST},
      // Cycle figures at gcMarkTermination's call of startTheWorldWithSema (gc.bpf.c: why).
      {skel->progs.gc_start_the_world, "runtime.startTheWorldWithSema", GC_CTR_HIT_START_WORLD},
      {skel->progs.gc_stop_the_world, "runtime.stopTheWorldWithSema", GC_CTR_HIT_STOP_WORLD},
  };
  for (const auto& [prog, function, counter] : always) {
    if (auto st = attach(prog, function, counter); !st) return st.error();
  }
  // Without cycle events the other probes would only cost the target: they count per cycle.
  bool watch = !options.watch_global.empty();
  if ((options.write_barrier || watch) && offsets) {
    if (auto st = attach(skel->progs.gc_wb_flush, "runtime.wbBufFlush1", GC_CTR_HIT_FLUSH); !st) {
      return st.error();
    }
  }
  if ((options.mark_probes || watch) && offsets) {
    // What the version has (GO-RUNTIME.md section 7): greyobject and shade in 1.19-1.27,
    // tryDeferToSpanScan with the Green Tea collector (the default from 1.26).
    std::vector<std::string> probed;
    const std::tuple<bpf_program*, std::string_view, int> marking[] = {
        {skel->progs.gc_grey, "runtime.greyobject", GC_CTR_HIT_GREY},
        {skel->progs.gc_grey, "runtime.tryDeferToSpanScan", GC_CTR_HIT_GREY},
        {skel->progs.gc_shade, "runtime.shade", GC_CTR_HIT_SHADE},
    };
    for (const auto& [prog, function, counter] : marking) {
      if (!bin->find_function(function)) continue;
      if (auto st = attach(prog, function, counter); !st) return st.error();
      probed.emplace_back(function);
    }
    state->mark_probes = fmt::format("{}", fmt::join(probed, ", "));
  }
  auto ring = probe::open_ring_buffer(state->skel->maps.cycles, on_cycle, &state->cycles);
  if (!ring) return ring.error();
  state->ring = std::move(*ring);
  return std::unique_ptr<GcCounter>(new GcCounter(std::move(state)));
}

Result<GcCounts> GcCounter::read() const {
  auto sums = probe::sum_percpu_u64(state_->skel->maps.counters, GC_CTR_NR);
  if (!sums) return sums.error();
  int n = ring_buffer__consume(state_->ring.get());
  if (n < 0) return make_error("cannot read GC cycle events: {}", strerror(-n));
  GcCounts out;
  out.gc_start = (*sums)[GC_CTR_START];
  out.gc_start_forced = (*sums)[GC_CTR_START_FORCED];
  out.cycles = (*sums)[GC_CTR_MARK_TERM];
  out.cycle_events = state_->cycles;
  out.lost_cycle_events = __atomic_load_n(&state_->skel->bss->lost_cycles, __ATOMIC_RELAXED);
  out.cycle_events_unavailable = state_->cycles_unavailable;
  out.wb_outside_mark = __atomic_load_n(&state_->skel->bss->wb_outside_mark, __ATOMIC_RELAXED);
  out.wb_max_pointers = __atomic_load_n(&state_->skel->bss->wb_max_pointers, __ATOMIC_RELAXED);
  out.wb_capacity = __atomic_load_n(&state_->skel->bss->wb_capacity, __ATOMIC_RELAXED);
  for (int c : {GC_CTR_START, GC_CTR_MARK_TERM, GC_CTR_HIT_ASSIST, GC_CTR_HIT_START_WORLD,
                GC_CTR_HIT_STOP_WORLD, GC_CTR_HIT_FLUSH, GC_CTR_HIT_GREY, GC_CTR_HIT_SHADE}) {
    (state_->emulated[c] ? out.hits.emulated : out.hits.stepped) += (*sums)[c];
  }
  out.mark_probes = state_->mark_probes;
  // Pauses by reason; keys that render to the same reason are merged.
  int fd = bpf_map__fd(state_->skel->maps.stw);
  gc_stw_key key{}, next{};
  std::map<std::string, StwPauses> by_reason;
  for (int err = bpf_map_get_next_key(fd, nullptr, &next); err == 0;
       err = bpf_map_get_next_key(fd, &key, &next)) {
    key = next;
    gc_stw_value v{};
    if (bpf_map_lookup_elem(fd, &key, &v) != 0) continue;
    StwPauses& p = by_reason[stw_reason(key, state_->stw_names)];
    p.count += v.count;
    p.total_ns += v.total_ns;
    p.max_ns = std::max<uint64_t>(p.max_ns, v.max_ns);
  }
  for (auto& [reason, p] : by_reason) {
    p.reason = reason;
    out.stw.push_back(p);
  }
  std::sort(out.stw.begin(), out.stw.end(),
            [](const StwPauses& a, const StwPauses& b) { return a.total_ns > b.total_ns; });
  out.stw_reasons_unavailable = state_->stw_unavailable;
  return out;
}

}  // namespace gri::exp::gc
