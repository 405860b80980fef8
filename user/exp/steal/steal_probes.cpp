#include "exp/steal/steal_probes.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <stop_token>
#include <thread>
#include <cerrno>
#include <cstring>
#include <optional>
#include <tuple>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "exp/steal/return_sites.h"
#include "goelf/runtime_layout.h"
#include "probe/go_uprobe.h"
#include "probe/kernel_events.h"
#include "probe/maps.h"
#include "probe/owned.h"
#include "bpf/steal.h"
#include "steal.skel.h"

namespace gri::exp::steal {

namespace {
constexpr std::string_view kGrab = "runtime.runqgrab";
constexpr std::string_view kSteal = "runtime.runqsteal";  // runqgrab's one caller
// Threads of one process that can be inside runqgrab at once (one per M), and threads whose
// CPU is remembered (an LRU map: exited threads age out).
constexpr uint32_t kInflight = 4096;
constexpr uint32_t kThreads = 16384;
constexpr uint32_t kCells = STEAL_MAX_PS * STEAL_MAX_PS;

Matrix square(const std::vector<uint64_t>& cells) {
  Matrix m(STEAL_MAX_PS, std::vector<uint64_t>(STEAL_MAX_PS));
  for (uint32_t i = 0; i < kCells && i < cells.size(); i++) {
    m[i / STEAL_MAX_PS][i % STEAL_MAX_PS] = cells[i];
  }
  return m;
}
static_assert(sizeof(steal_event) == 32, "bpf/steal.h: steal_event is 32 bytes, no holes");

int on_event(void* ctx, void* data, size_t size) {
  if (size < sizeof(steal_event)) return 0;
  steal_event e;
  std::memcpy(&e, data, sizeof(e));
  auto* out = static_cast<StealEvents*>(ctx);
  if (out->events.size() >= StealEvents::kMaxEvents) {
    out->lost++;
    return 0;
  }
  out->events.push_back({e.entry_ns, e.ktime_ns, e.thief, e.victim, e.n, e.tid});
  return 0;
}

}  // namespace

struct StealProbes::State {
  probe::Owned<steal_bpf, steal_bpf__destroy> skel;
  std::vector<probe::Link> links;
  StealAttach info;
  // The timeline ring, emptied while the session runs: a busy stealer fills 1 MiB in
  // seconds. Declared last: its thread stops before the skeleton goes.
  StealEvents timeline;
  std::unique_ptr<probe::PolledRing> ring;
};

StealProbes::StealProbes(std::unique_ptr<State> state) : state_(std::move(state)) {}
StealProbes::~StealProbes() = default;

const StealAttach& StealProbes::attach_info() const { return state_->info; }

Result<std::unique_ptr<StealProbes>> StealProbes::attach(const goelf::GoBinary& bin, pid_t pid,
                                                         const StealProbeOptions& options) {
  auto state = std::make_unique<State>();
  StealAttach& info = state->info;
  auto done = [&]() { return std::unique_ptr<StealProbes>(new StealProbes(std::move(state))); };

  auto point = probe::resolve_probe_point(bin, kGrab);
  if (!point) {
    info.unavailable = point.error().message;
    return done();
  }
  goelf::RuntimeLayout layout = goelf::resolve_layout(bin);
  std::vector<std::string> missing;
  auto field = [&](const char* key, std::vector<std::string>& miss) -> __u32 {
    auto off = layout.offset(key);
    if (!off) miss.push_back(key);
    return off ? static_cast<__u32>(*off) : 0;
  };
  steal_config cfg{};
  cfg.tgid = static_cast<__u32>(pid > 0 ? pid : 0);
  cfg.p_id = field("p.id", missing);
  cfg.p_runq = field("p.runq", missing);
  if (!missing.empty()) {
    info.unavailable = fmt::format("the P ids of a steal need {} (not in this binary's layout, {})",
                                   fmt::join(missing, ", "), bin.build().go_version);
    return done();
  }
  std::vector<std::string> cpu_missing;
  cfg.p_m = field("p.m", cpu_missing);
  cfg.m_procid = field("m.procid", cpu_missing);
  if (!options.cpus) {
    info.cpus_unavailable = "not asked for (--no-cpus)";
  } else if (!cpu_missing.empty()) {
    info.cpus_unavailable = fmt::format("needs {} (not in this binary's layout, {})",
                                        fmt::join(cpu_missing, ", "), bin.build().go_version);
  }
  cfg.victim_cpus = info.cpus_unavailable.empty() ? 1 : 0;
  cfg.timeline = 1;
  cfg.pad = 0;

  // Where calls are seen and results read: runqsteal's CALL of runqgrab and its test of the
  // result (emulated probes), else runqgrab's entry and RETs (all of them with --ret-probes,
  // those that can return goroutines otherwise).
  std::optional<uint64_t> call_offset, test_offset;  // file offsets in runqsteal
  if (!options.ret_probes) {
    auto caller = probe::resolve_probe_point(bin, kSteal);
    Result<CallSites> sites = caller ? Result<CallSites>(CallSites{}) : caller.error();
    if (caller) {
      auto code = bin.elf().read(caller->addr, caller->size);
      if (!code) return code.error();
      sites = call_sites(bin.elf().arch(), *code, caller->addr, point->addr);
    }
    if (sites) {
      auto call = bin.elf().file_offset(caller->addr + sites->call);
      auto test = bin.elf().file_offset(caller->addr + sites->test_jump);
      if (!call) return call.error();
      if (!test) return test.error();
      call_offset = *call;
      test_offset = *test;
      info.entry_emulated = info.result_emulated = true;
      info.entry_site = fmt::format("{}+{:#x} (CALL {})", kSteal, sites->call, kGrab);
      info.result_site = fmt::format("{}+{:#x} (the conditional jump on its result)", kSteal,
                                     sites->test_jump);
    } else {
      info.result_fallback = fmt::format("{}: {}", kSteal, sites.error().message);
    }
  }
  std::vector<uint64_t> skip;
  if (!call_offset && !options.ret_probes) {
    auto code = bin.elf().read(point->addr, point->size);
    if (!code) return code.error();
    auto zeros = constant_zero_returns(bin.elf().arch(), *code, point->addr);
    if (!zeros) return make_error("{} in {}: {}", kGrab, bin.path(), zeros.error().message);
    skip = std::move(*zeros);
  }

  state->skel.reset(steal_bpf__open());
  if (!state->skel) return make_error("cannot open the steal BPF object: {}", strerror(errno));
  steal_bpf* skel = state->skel.get();
  skel->rodata->cfg = cfg;
  bpf_map__set_max_entries(skel->maps.inflight, kInflight);
  bpf_map__set_max_entries(skel->maps.thread_cpu, kThreads);
  bpf_map__set_max_entries(skel->maps.timeline, STEAL_TIMELINE_RING_BYTES);
  bpf_program__set_autoload(skel->progs.steal_switch, cfg.victim_cpus != 0);
  if (int err = steal_bpf__load(skel); err != 0) {
    return make_error("cannot load the steal BPF programs: {} (run gri doctor)", strerror(-err));
  }
  auto ring = probe::PolledRing::open(skel->maps.timeline, on_event, &state->timeline);
  if (!ring) return ring.error();
  state->ring = std::move(*ring);
  state->timeline.recorded = true;
  if (cfg.victim_cpus) {
    auto link = probe::attach_tracepoint(skel->progs.steal_switch, "sched", "sched_switch");
    if (!link) return link.error();
    state->links.push_back(std::move(*link));
  }
  if (call_offset) {
    const std::tuple<bpf_program*, uint64_t, const std::string*> probes[] = {
        {skel->progs.steal_grab_entry, *call_offset, &info.entry_site},
        {skel->progs.steal_grab_return, *test_offset, &info.result_site}};
    for (auto [prog, offset, what] : probes) {
      auto link = probe::attach_uprobe(prog, bin, offset, 0, *what, pid);
      if (!link) return link.error();
      state->links.push_back(std::move(*link));
    }
  } else {
    info.entry_site = fmt::format("{}+{:#x}", kGrab, point->probe_offset);
    info.entry_emulated = point->entry_emulated;
    auto entry = probe::attach_entry(skel->progs.steal_grab_entry, bin, kGrab, *point, 0, pid);
    if (!entry) return entry.error();
    state->links.push_back(std::move(*entry));
    for (uint64_t r : point->ret_offsets) {
      if (std::find(skip.begin(), skip.end(), r) != skip.end()) {
        info.returns_skipped++;
        continue;
      }
      auto off = bin.elf().file_offset(point->addr + r);
      if (!off) return off.error();
      auto link = probe::attach_uprobe(skel->progs.steal_grab_return, bin, *off, 0,
                                       fmt::format("{}+{:#x} (RET)", kGrab, r), pid);
      if (!link) return link.error();
      state->links.push_back(std::move(*link));
      info.returns_probed++;
    }
    info.result_site = fmt::format("{} of the {} RETs of {}{}", info.returns_probed,
                                   point->ret_offsets.size(), kGrab,
                                   info.returns_skipped ? " (those that can return goroutines)" : "");
  }
  return done();
}

Result<StealCounts> StealProbes::read() const {
  StealCounts c;
  c.attempt_matrix = c.steal_matrix = c.stolen_matrix = c.cross_cpu_matrix = square({});
  c.batch_sizes.assign(STEAL_BATCH_SLOTS, 0);
  if (!state_->skel) return c;
  const auto& maps = state_->skel->maps;
  auto ctr = probe::sum_percpu_u64(maps.counters, STEAL_CTR_NR);
  if (!ctr) return ctr.error();
  const std::vector<uint64_t>& v = *ctr;
  c.attempts = v[STEAL_CTR_ATTEMPTS];
  c.returns = v[STEAL_CTR_RETURNS];
  c.zero_returns = v[STEAL_CTR_ZERO_RETURNS];
  c.steals = v[STEAL_CTR_STEALS];
  c.stolen = v[STEAL_CTR_STOLEN];
  c.no_entry = v[STEAL_CTR_NO_ENTRY];
  c.p_out_of_range = v[STEAL_CTR_P_RANGE];
  c.over_half = v[STEAL_CTR_OVER_HALF];
  c.same_cpu = v[STEAL_CTR_SAME_CPU];
  c.cross_cpu = v[STEAL_CTR_CROSS_CPU];
  c.victim_no_m = v[STEAL_CTR_VICTIM_NO_M];
  c.victim_cpu_unknown = v[STEAL_CTR_VICTIM_CPU_UNKNOWN];
  c.switch_ins = v[STEAL_CTR_SWITCH_INS];
  std::pair<const bpf_map*, Matrix*> matrices[] = {{maps.attempts, &c.attempt_matrix},
                                                   {maps.steals, &c.steal_matrix},
                                                   {maps.stolen, &c.stolen_matrix},
                                                   {maps.cross_cpu, &c.cross_cpu_matrix}};
  for (auto& [map, out] : matrices) {
    auto cells = probe::sum_percpu_u64(map, kCells);
    if (!cells) return cells.error();
    *out = square(*cells);
  }
  // One entry per thread with a runqgrab call entered and not yet returned.
  int inflight_fd = bpf_map__fd(maps.inflight);
  uint32_t key = 0, next = 0;
  for (uint32_t* prev = nullptr; bpf_map_get_next_key(inflight_fd, prev, &next) == 0; prev = &key) {
    key = next;
    c.in_flight++;
  }
  auto sizes = probe::sum_percpu_u64(maps.batch_sizes, STEAL_BATCH_SLOTS);
  if (!sizes) return sizes.error();
  c.batch_sizes = std::move(*sizes);
  // The timeline: what is left in the ring, then the records that found it full.
  if (state_->ring) {
    if (auto done = state_->ring->finish(); !done) {
      return make_error("the steal timeline: {}", done.error().message);
    }
    c.timeline = state_->timeline;
    c.timeline.lost += __atomic_load_n(&state_->skel->bss->lost_timeline, __ATOMIC_RELAXED);
  }
  return c;
}

}  // namespace gri::exp::steal
