#include "exp/maps/probes.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <time.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "exp/maps/code.h"
#include "goelf/runtime_layout.h"
#include "probe/go_uprobe.h"
#include "probe/kernel_events.h"
#include "probe/maps.h"
#include "probe/owned.h"
#include "bpf/maps.h"
#include "maps.skel.h"

namespace gri::exp::maps {

namespace {

// Growth functions by kind (GO-RUNTIME.md section 8; go1.24-1.27
// internal/runtime/maps/map.go and table.go, go1.19-1.23 runtime/map.go).
constexpr std::string_view kHashGrow = "runtime.hashGrow";
struct SwissGrowth {
  std::string_view function;
  maps_growth_kind kind;
};
constexpr SwissGrowth kSwiss[] = {
    {"internal/runtime/maps.(*Map).growToSmall", MAPS_GROW_TO_SMALL},
    {"internal/runtime/maps.(*Map).growToTable", MAPS_GROW_TO_TABLE},
    {"internal/runtime/maps.(*table).grow", MAPS_GROW_TABLE},
    {"internal/runtime/maps.(*table).split", MAPS_GROW_SPLIT},
};

// Goroutines growing a map at once, and distinct sampled pcs.
constexpr uint32_t kInflight = 16384;
constexpr uint32_t kSampledPcs = 65536;
// Growth events held before they are read at the end: 16 MiB of 64-byte records (plus an
// 8-byte header each) hold 233,016 growths.
constexpr uint32_t kRingBytes = 16u << 20;

int on_growth(void* ctx, void* data, size_t size) {
  if (size < sizeof(maps_growth_event)) return 0;
  maps_growth_event e;
  std::memcpy(&e, data, sizeof(e));
  static_cast<std::vector<maps_growth_event>*>(ctx)->push_back(e);
  return 0;
}

}  // namespace

const char* kind_name(MapKind k) {
  switch (k) {
    case MapKind::kBuckets: return "buckets";
    case MapKind::kSwiss: return "swiss";
    case MapKind::kUnknown: break;
  }
  return "unknown";
}

MapKind map_kind(const goelf::GoBinary& bin) {
  if (bin.find_function(kSwiss[2].function)) return MapKind::kSwiss;
  if (bin.find_function(kHashGrow)) return MapKind::kBuckets;
  return MapKind::kUnknown;
}

uint64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

CounterRead read_counters(const probe::TaskCounters* counters, uint32_t phase, std::string name,
                          uint64_t mark_ns) {
  CounterRead r;
  r.phase = phase;
  r.name = std::move(name);
  r.read_ns = monotonic_ns();
  r.mark_ns = mark_ns ? mark_ns : r.read_ns;
  if (!counters) return r;
  auto values = counters->read();
  if (values) r.values = std::move(*values);
  else r.error = values.error().message;
  return r;
}

struct MapsProbes::State {
  probe::Owned<maps_bpf, maps_bpf__destroy> skel;
  std::vector<probe::Link> links;
  probe::RingBuffer ring;
  std::vector<maps_growth_event> events;
  MapsAttach info;
  // The target's counters, and their reads: the poller reads them as each mark arrives.
  std::optional<probe::TaskCounters> counters;
  probe::RingBuffer marks;
  std::mutex mu;
  std::vector<CounterRead> reads;
  std::atomic<bool> stop{false};
  std::thread poller;

  ~State() { stop_poller(); }
  void stop_poller() {
    stop = true;
    if (poller.joinable()) poller.join();
  }
};

int MapsProbes::on_mark(void* ctx, void* data, size_t size) {
  if (size < sizeof(maps_mark_event)) return 0;
  maps_mark_event e;
  std::memcpy(&e, data, sizeof(e));
  auto* st = static_cast<MapsProbes::State*>(ctx);
  std::string name(e.name, std::min<size_t>(e.name_len, sizeof(e.name)));
  bool printable = std::all_of(name.begin(), name.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
  CounterRead r = read_counters(st->counters ? &*st->counters : nullptr, e.phase,
                                printable ? name : "", e.ns);
  std::lock_guard lock(st->mu);
  st->reads.push_back(std::move(r));
  return 0;
}

MapsProbes::MapsProbes(std::unique_ptr<State> state) : state_(std::move(state)) {}
MapsProbes::~MapsProbes() = default;
const MapsAttach& MapsProbes::attach_info() const { return state_->info; }

Result<std::unique_ptr<MapsProbes>> MapsProbes::attach(const goelf::GoBinary& bin, pid_t pid,
                                                       const MapsProbeOptions& o) {
  auto state = std::make_unique<State>();
  MapsAttach& info = state->info;
  info.kind = map_kind(bin);

  maps_config cfg{};
  cfg.tgid = static_cast<__u32>(pid > 0 ? pid : 0);
  std::vector<std::string_view> functions;
  std::vector<maps_growth_kind> kinds;
  if (o.growth) {
    goelf::RuntimeLayout layout = goelf::resolve_layout(bin);
    std::vector<std::string> missing;
    auto field = [&](const char* key) -> __u32 {
      auto off = layout.offset(key);
      if (!off) missing.push_back(key);
      return off ? static_cast<__u32>(*off) : 0;
    };
    if (info.kind == MapKind::kBuckets) {
      cfg.hmap_count = field("hmap.count");
      cfg.hmap_B = field("hmap.B");
      cfg.hmap_flags = field("hmap.flags");
      functions.push_back(kHashGrow);
      kinds.push_back(MAPS_GROW_HASHGROW);
    } else if (info.kind == MapKind::kSwiss) {
      cfg.map_used = field("maps.Map.used");
      cfg.map_dirptr = field("maps.Map.dirPtr");
      cfg.table_used = field("maps.table.used");
      cfg.table_capacity = field("maps.table.capacity");
      for (const SwissGrowth& g : kSwiss) {
        // A new map's first insert, once per map: an HTTP server makes about 8 per request
        // (go1.26 httpload: 160,060 in 20,000 requests, +28% with this probe alone), so
        // only --exact, which says its cost, probes it.
        if (g.kind == MAPS_GROW_TO_SMALL && !o.exact) continue;
        functions.push_back(g.function);
        kinds.push_back(g.kind);
      }
    } else {
      info.growth_unavailable = fmt::format(
          "neither {} nor {} in this binary (no maps linked in?)", kHashGrow, kSwiss[2].function);
    }
    if (!missing.empty()) {
      info.growth_unavailable =
          fmt::format("map sizes need {} (not in this binary's layout, {})",
                      fmt::join(missing, ", "), bin.build().go_version);
    }
    for (std::string_view f : functions) {
      if (info.growth_unavailable.empty() && !bin.find_function(f)) {
        info.growth_unavailable = fmt::format("{} is not in this binary ({}): inlined or renamed",
                                              f, bin.build().go_version);
      }
    }
    if (!info.growth_unavailable.empty()) functions.clear();
  } else {
    info.growth_unavailable = "not asked for";
  }

  state->skel.reset(maps_bpf__open());
  if (!state->skel) return make_error("cannot open the maps BPF object: {}", strerror(errno));
  maps_bpf* skel = state->skel.get();
  cfg.watch_var = o.exact ? o.watch_var : 0;
  std::vector<FoundMapFunction> op_functions;
  if (o.exact) {
    auto found = map_functions(bin);
    if (!found) return found.error();
    for (const FoundMapFunction& f : *found) {
      if (!f.wraps.empty()) {
        info.op_wrappers.push_back(fmt::format("{} (calls {})", f.name, f.wraps));
      } else {
        op_functions.push_back(f);
      }
    }
    if (op_functions.empty()) {
      return make_error("--exact: none of the map functions (runtime.mapaccess1, ...) is in {}",
                        bin.path());
    }
    if (op_functions.size() > MAPS_OP_FUNCS) {
      return make_error("--exact: {} map functions, at most {}", op_functions.size(),
                        MAPS_OP_FUNCS);
    }
    auto sites = lookup_sites(bin);
    if (!sites) return make_error("--exact: the lookup code: {}", sites.error().message);
    if (sites->sites.size() > MAPS_SITES) {
      return make_error("--exact: {} lookup sites, at most {}", sites->sites.size(), MAPS_SITES);
    }
    info.lookup = std::move(*sites);
  }
  std::optional<probe::ProbePoint> mark_point;
  if (!o.phase_mark.empty()) {
    auto point = probe::resolve_probe_point(bin, o.phase_mark);
    if (!point) return make_error("--phase-mark {}: {}", o.phase_mark, point.error().message);
    mark_point = *point;
  }
  skel->rodata->cfg = cfg;
  bpf_map__set_max_entries(skel->maps.inflight, kInflight);
  bpf_map__set_max_entries(skel->maps.samples, kSampledPcs);
  bpf_map__set_max_entries(skel->maps.events, kRingBytes);
  if (int err = maps_bpf__load(skel); err != 0) {
    return make_error("cannot load the maps BPF programs: {} (run gri doctor)", strerror(-err));
  }
  for (size_t i = 0; i < functions.size(); i++) {
    auto point = probe::resolve_probe_point(bin, functions[i]);
    if (!point) return point.error();
    info.entries_emulated = info.entries_emulated && point->entry_emulated;
    if (kinds[i] == MAPS_GROW_TO_SMALL) {
      // (--exact) Its RETs are not probed: single-stepped, they cost most (go1.26 httpload:
      // +115% with them); its size after is always one group, its time is not taken.
      auto link = probe::attach_entry(skel->progs.maps_grow_entry, bin, functions[i], *point,
                                      kinds[i], pid);
      if (!link) return link.error();
      info.probe_sites++;
      info.probed.push_back(fmt::format("{} (entry)", functions[i]));
      state->links.push_back(std::move(*link));
      continue;
    }
    auto links = probe::attach_entry_and_returns(bin, functions[i], skel->progs.maps_grow_entry,
                                                 skel->progs.maps_grow_return, kinds[i], pid);
    if (!links) return links.error();
    info.probe_sites += links->size();
    info.probed.push_back(fmt::format("{} (entry and {} RETs)", functions[i],
                                      point->ret_offsets.size()));
    for (auto& l : *links) state->links.push_back(std::move(l));
  }
  for (size_t i = 0; i < op_functions.size(); i++) {
    const FoundMapFunction& f = op_functions[i];
    auto point = probe::resolve_probe_point(bin, f.name);
    if (!point) return point.error();
    uint64_t cookie = i | (point->site() << 8);
    auto link = probe::attach_entry(skel->progs.maps_op, bin, f.name, *point, cookie, pid);
    if (!link) return link.error();
    state->links.push_back(std::move(*link));
    info.probe_sites++;
    info.op_functions.push_back({std::string(f.name), op_name(f.op), point->entry_emulated});
  }
  for (size_t i = 0; i < info.lookup.sites.size(); i++) {
    const LookupSite& site = info.lookup.sites[i];
    auto off = bin.elf().file_offset(site.probe);
    if (!off) return make_error("--exact: {} at {:#x}: {}", site.function, site.probe, off.error().message);
    auto link = probe::attach_uprobe(skel->progs.maps_site, bin, *off, i,
                                     fmt::format("{}+{:#x}", site.function, site.probe), pid);
    if (!link) return link.error();
    state->links.push_back(std::move(*link));
    info.probe_sites++;
  }
  if (o.sample_hz) {
    auto links = probe::attach_cpu_clock_sampling(skel->progs.maps_sample, o.sample_hz);
    if (!links) return links.error();
    for (auto& l : *links) state->links.push_back(std::move(l));
  }
  auto ring = probe::open_ring_buffer(skel->maps.events, on_growth, &state->events);
  if (!ring) return ring.error();
  state->ring = std::move(*ring);

  // The target's counters, read now, at each mark and at the end.
  if (pid > 0) {
    auto counters = probe::TaskCounters::open(pid);
    if (counters) {
      info.hw_unavailable = counters->hw_unavailable();
      state->counters.emplace(std::move(*counters));
    } else {
      info.counters_error = counters.error().message;
    }
  } else {
    info.counters_error = "no single target process";
  }
  state->reads.push_back(read_counters(state->counters ? &*state->counters : nullptr, 0, "", 0));
  if (mark_point) {
    auto link = probe::attach_entry(skel->progs.maps_mark, bin, o.phase_mark, *mark_point, 0, pid);
    if (!link) return link.error();
    state->links.push_back(std::move(*link));
    info.probe_sites++;
    auto marks = probe::open_ring_buffer(skel->maps.marks, &MapsProbes::on_mark, state.get());
    if (!marks) return marks.error();
    state->marks = std::move(*marks);
    State* st = state.get();
    st->poller = std::thread([st] {
      while (!st->stop) ring_buffer__poll(st->marks.get(), 50);
    });
  }
  return std::unique_ptr<MapsProbes>(new MapsProbes(std::move(state)));
}

Result<MapsCounts> MapsProbes::read() {
  MapsCounts c;
  maps_bpf* skel = state_->skel.get();
  // The marks heard, then the end's read.
  state_->stop_poller();
  if (state_->marks) ring_buffer__consume(state_->marks.get());
  {
    std::lock_guard lock(state_->mu);
    state_->reads.push_back(read_counters(state_->counters ? &*state_->counters : nullptr,
                                          static_cast<uint32_t>(-1), "", 0));
    c.reads = state_->reads;
  }
  c.marks_lost = __atomic_load_n(&skel->bss->lost_marks, __ATOMIC_RELAXED);
  auto sums = probe::sum_percpu_u64(skel->maps.counters, MAPS_CTR_NR);
  if (!sums) return sums.error();
  int n = ring_buffer__consume(state_->ring.get());
  if (n < 0) return make_error("cannot read map growth events: {}", strerror(-n));
  c.entries = (*sums)[MAPS_CTR_ENTRIES];
  c.events = (*sums)[MAPS_CTR_EVENTS];
  for (const maps_growth_event& e : state_->events) c.untimed += e.kind == MAPS_GROW_TO_SMALL;
  c.no_entry = (*sums)[MAPS_CTR_NO_ENTRY];
  c.samples = (*sums)[MAPS_CTR_SAMPLES];
  c.samples_dropped = (*sums)[MAPS_CTR_SAMPLES_DROPPED];
  c.lost = __atomic_load_n(&skel->bss->lost_events, __ATOMIC_RELAXED);
  // [phase * stride + i] -> by phase, and the total of each i.
  auto split = [](const std::vector<uint64_t>& flat, size_t stride, size_t n,
                  std::vector<std::vector<uint64_t>>* by_phase, std::vector<uint64_t>* total) {
    total->assign(n, 0);
    for (size_t p = 0; p < MAPS_PHASES; p++) {
      std::vector<uint64_t> row(flat.begin() + p * stride, flat.begin() + p * stride + n);
      for (size_t i = 0; i < n; i++) (*total)[i] += row[i];
      by_phase->push_back(std::move(row));
    }
  };
  if (!state_->info.op_functions.empty()) {
    auto calls = probe::sum_percpu_u64(skel->maps.ops, MAPS_PHASES * MAPS_OP_FUNCS);
    if (!calls) return calls.error();
    split(*calls, MAPS_OP_FUNCS, state_->info.op_functions.size(), &c.op_calls_by_phase, &c.op_calls);
  }
  if (!state_->info.lookup.sites.empty()) {
    auto hits = probe::sum_percpu_u64(skel->maps.site_hits, MAPS_PHASES * MAPS_SITES);
    if (!hits) return hits.error();
    split(*hits, MAPS_SITES, state_->info.lookup.sites.size(), &c.site_hits_by_phase, &c.site_hits);
  }

  uint64_t origin = state_->events.empty() ? 0 : state_->events.front().start_ns;
  for (const maps_growth_event& e : state_->events) origin = std::min<uint64_t>(origin, e.start_ns);
  for (const maps_growth_event& e : state_->events) {
    Growth g;
    switch (e.kind) {
      case MAPS_GROW_HASHGROW: g.kind = e.cap_after == e.cap_before ? "same-size" : "double"; break;
      case MAPS_GROW_TO_SMALL: g.kind = "to-small"; break;
      case MAPS_GROW_TO_TABLE: g.kind = "to-table"; break;
      case MAPS_GROW_TABLE: g.kind = "grow"; break;
      case MAPS_GROW_SPLIT: g.kind = "split"; break;
      default: g.kind = fmt::format("kind {}", e.kind); break;
    }
    g.map = e.map;
    g.table = e.table;
    g.entries = e.entries;
    g.table_entries = e.table_entries;
    g.cap_before = e.cap_before;
    g.cap_after = e.cap_after;
    g.start_s = static_cast<double>(e.start_ns - origin) / 1e9;
    g.timed = e.kind != MAPS_GROW_TO_SMALL;
    g.us = g.timed && e.end_ns >= e.start_ns ? static_cast<double>(e.end_ns - e.start_ns) / 1e3 : 0;
    c.growths.push_back(std::move(g));
  }
  state_->events.clear();

  int fd = bpf_map__fd(skel->maps.samples);
  uint64_t key = 0, next = 0, value = 0;
  uint64_t* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    if (bpf_map_lookup_elem(fd, &next, &value) == 0) c.pcs[next] += value;
    key = next;
    prev = &key;
  }
  return c;
}

}  // namespace gri::exp::maps
