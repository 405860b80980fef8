#include "exp/maps/experiment.h"

#include <algorithm>
#include <map>
#include <optional>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "bpf/maps.h"
#include "exp/maps/probes.h"
#include "exp/maps/watch.h"
#include "goelf/runtime_layout.h"
#include "probe/kernel_events.h"
#include "session/session.h"

namespace gri::exp::maps {

namespace {

// Functions of the map table shown: the busiest map functions, then "other".
constexpr size_t kTopFunctions = 12;

double pct(uint64_t part, uint64_t whole) {
  return whole ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}

struct GrowthStats {
  bool timed = true;
  uint64_t n = 0;
  double us_sum = 0, us_max = 0;
};

nlohmann::ordered_json layout_json(const MapLayout& l, MapKind kind) {
  nlohmann::ordered_json j = {{"at_s", l.at_s}, {"nil", l.nil}, {"entries", l.entries}};
  if (kind == MapKind::kBuckets) {
    j.update({{"B", l.B}, {"buckets", l.buckets}, {"overflow_buckets", l.overflow},
              {"growing", l.growing}, {"evacuated", l.evacuated}, {"load", l.load}});
  } else {
    j.update({{"small", l.small}, {"directory", l.directory}, {"global_depth", l.global_depth},
              {"tables", l.tables}, {"groups", l.groups}, {"slots", l.slots}, {"used", l.used},
              {"tombstones", l.tombstones}, {"growth_left", l.growth_left}});
  }
  return j;
}

report::Table layout_table(const std::string& var, const std::vector<MapLayout>& samples,
                           MapKind kind) {
  bool buckets = kind == MapKind::kBuckets;
  report::Table t{fmt::format("{} (--watch), read from memory each second", var),
                  buckets ? std::vector<std::string>{"s", "entries", "B", "buckets", "overflow",
                                                     "load", "growing"}
                          : std::vector<std::string>{"s", "entries", "tables", "groups", "slots",
                                                     "used", "tombstones", "growth left"},
                  {}};
  for (const MapLayout& l : samples) {
    if (l.nil) {
      t.rows.push_back({fmt::format("{:.1f}", l.at_s), "nil"});
      continue;
    }
    if (buckets) {
      t.rows.push_back({fmt::format("{:.1f}", l.at_s), std::to_string(l.entries),
                        std::to_string(l.B), std::to_string(l.buckets), std::to_string(l.overflow),
                        fmt::format("{:.2f}", l.load), l.growing ? "yes" : "no"});
    } else {
      t.rows.push_back({fmt::format("{:.1f}", l.at_s), std::to_string(l.entries),
                        l.small ? "small" : std::to_string(l.tables), std::to_string(l.groups),
                        std::to_string(l.slots), std::to_string(l.used),
                        std::to_string(l.tombstones), std::to_string(l.growth_left)});
    }
  }
  return t;
}

// --exact: what the lookups did, from the sites inside the lookup code (code.h). Keys
// compared are SIMD candidates plus the slots of scans that compare the key itself (fast32,
// fast64); a scan of string or generic keys compares a length, tophash or control byte first,
// so where such scans ran the key count is left null rather than guessed.
nlohmann::ordered_json per_lookup_json(const MapsAttach& info, const MapsCounts& c,
                                       uint64_t lookups, MapKind kind, report::Report* r) {
  const LookupSites& ls = info.lookup;
  nlohmann::ordered_json sites = nlohmann::ordered_json::array();
  uint64_t visited = 0, slots = 0, candidates = 0, key_slots = 0, other_slots = 0;
  for (size_t i = 0; i < ls.sites.size() && i < c.site_hits.size(); i++) {
    const LookupSite& st = ls.sites[i];
    uint64_t n = c.site_hits[i];
    switch (st.kind) {
      case SiteKind::kGroup: visited += n; break;
      case SiteKind::kCandidate: candidates += n; break;
      case SiteKind::kSlot:
        slots += n;
        (st.compares_key ? key_slots : other_slots) += n;
        break;
    }
    sites.push_back({{"function", st.function},
                     {"kind", site_kind_name(st.kind)},
                     {"anchor", fmt::format("{:#x}", st.anchor)},
                     {"probe", fmt::format("{:#x}", st.probe)},
                     {"emulated", st.emulated},
                     {"hits", n}});
  }
  const char* unit = kind == MapKind::kBuckets ? "bucket" : "group";
  auto ratio = [&](uint64_t n) -> nlohmann::ordered_json {
    if (lookups == 0) return nullptr;
    return static_cast<double>(n) / static_cast<double>(lookups);
  };
  bool keys_known = other_slots == 0;
  nlohmann::ordered_json per = {{"visited", ratio(visited)},
                                {"slots_scanned", ratio(slots)},
                                {"simd_candidates", ratio(candidates)},
                                {"keys_compared", keys_known ? ratio(candidates + key_slots)
                                                             : nlohmann::ordered_json(nullptr)}};
  nlohmann::ordered_json out = {
      {"unit", unit},
      {"lookups", lookups},
      {"visited", visited},
      {"slots_scanned", slots},
      {"simd_candidates", candidates},
      {"keys_compared", keys_known ? nlohmann::ordered_json(candidates + key_slots) : nullptr},
      {"per_lookup", per},
      {"sites", std::move(sites)},
      {"functions_without_sites", ls.without_sites}};
  if (!keys_known) {
    out["keys_compared_unknown"] = fmt::format(
        "{} slots were scanned by string or generic lookups, which compare a length, tophash or "
        "control byte before the key",
        other_slots);
    r->notes.push_back("per lookup: keys compared not counted: " +
                       out["keys_compared_unknown"].get<std::string>());
  }
  report::Table t{"per lookup (--exact: probes inside the lookup code)", {"", "total", "per lookup"}, {}};
  auto row = [&](std::string what, uint64_t n, bool known = true) {
    nlohmann::ordered_json q = ratio(n);
    t.rows.push_back({std::move(what), known ? std::to_string(n) : "-",
                      known && q.is_number() ? fmt::format("{:.3f}", q.get<double>()) : "-"});
  };
  row(fmt::format("{}s visited", unit), visited);
  row("slots scanned one by one", slots);
  row("SIMD candidates (key compared)", candidates);
  row("keys compared", candidates + key_slots, keys_known);
  r->tables.push_back(std::move(t));
  if (!ls.without_sites.empty()) {
    r->degraded.push_back({"per lookup", fmt::format("no site found in {}: their lookups do not "
                                                     "add to the per-lookup figures",
                                                     fmt::join(ls.without_sites, ", "))});
  }
  return out;
}

// Counter values by name, the later read less the earlier (a counter missing from either: 0).
std::map<std::string, uint64_t> counter_delta(const CounterRead& from, const CounterRead& to) {
  std::map<std::string, uint64_t> out;
  for (const auto& v : to.values) {
    uint64_t before = 0;
    for (const auto& w : from.values) {
      if (w.name == v.name) before = w.value;
    }
    out[v.name] = v.value >= before ? v.value - before : 0;
  }
  return out;
}

constexpr const char* kCounterFallback =
    "cachegrind's simulation of the caches, in gri lab EXP-07 (labelled simulated)";

// data.hw_counters: whether the CPU counted, why not, and the whole run's figures (hardware
// where there is a PMU, software always: task-clock, page faults, context switches).
nlohmann::ordered_json counters_json(const MapsAttach& info, const MapsCounts& c,
                                     const std::string& mark, report::Report* r) {
  nlohmann::ordered_json j;
  if (!info.counters_error.empty()) {
    j = {{"available", false}, {"reason", "unavailable: " + info.counters_error}, {"fallback", kCounterFallback}};
    r->degraded.push_back({"counters", info.counters_error});
    return j;
  }
  if (!info.hw_unavailable.empty()) {
    j = {{"available", false}, {"reason", info.hw_unavailable}, {"fallback", kCounterFallback}};
    r->notes.push_back(fmt::format("hardware counters {}; fallback: {}; software counters "
                                   "(task-clock, page faults, context switches) are read instead",
                                   info.hw_unavailable, kCounterFallback));
  } else {
    j = {{"available", true}};
  }
  j["phase_mark"] = mark.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(mark);
  if (c.reads.size() >= 2) {
    const CounterRead& first = c.reads.front();
    const CounterRead& last = c.reads.back();
    nlohmann::ordered_json totals = nlohmann::ordered_json::object();
    for (const auto& [name, v] : counter_delta(first, last)) totals[name] = v;
    j["totals"] = std::move(totals);
    for (const CounterRead& rd : c.reads) {
      if (!rd.error.empty()) {
        r->degraded.push_back({"counters", rd.error});
        break;
      }
    }
  }
  return j;
}

// data.phases: one object per phase the mark function began (phase 0: from attach to the
// first mark), with its time, its counters and, with --exact, its map operations.
nlohmann::ordered_json phases_json(const MapsAttach& info, const MapsCounts& c,
                                   const std::string& mark, report::Report* r) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  if (c.reads.size() < 2) return out;
  bool hw = info.hw_unavailable.empty() && info.counters_error.empty();
  std::vector<std::string> cols = {"phase", "ms", "read lag us", "task-clock ms", "page faults",
                                   "ctx switches"};
  if (hw) cols.insert(cols.end(), {"instructions", "cycles", "LLC load misses"});
  bool exact = !info.op_functions.empty();
  if (exact) cols.insert(cols.end(), {"lookups", "inserts", "deletes", "keys/lookup"});
  report::Table t{fmt::format("phases (begun by calls of {}; counters read when gri hears of the "
                              "call: the read lag)",
                              mark),
                  cols,
                  {}};
  uint64_t max_lag = 0;
  for (size_t k = 0; k + 1 < c.reads.size(); k++) {
    const CounterRead& from = c.reads[k];
    const CounterRead& to = c.reads[k + 1];
    uint32_t slot = std::min<uint32_t>(from.phase, MAPS_PHASES - 1);
    std::string name = from.name.empty() ? (k == 0 ? "(before the first mark)" : fmt::format("phase {}", from.phase))
                                         : from.name;
    double ms = static_cast<double>(to.mark_ns - from.mark_ns) / 1e6;
    uint64_t lag = from.read_ns - from.mark_ns;
    max_lag = std::max(max_lag, lag);
    auto delta = counter_delta(from, to);
    nlohmann::ordered_json p = {{"phase", from.phase},
                                {"name", name},
                                {"ms", ms},
                                {"read_lag_us", static_cast<double>(lag) / 1e3}};
    nlohmann::ordered_json counters = nlohmann::ordered_json::object();
    for (const auto& [n, v] : delta) counters[n] = v;
    p["counters"] = std::move(counters);
    std::vector<std::string> row = {name, fmt::format("{:.1f}", ms), fmt::format("{:.0f}", static_cast<double>(lag) / 1e3),
                                    fmt::format("{:.1f}", static_cast<double>(delta["task_clock_ns"]) / 1e6),
                                    std::to_string(delta["page_faults"]),
                                    std::to_string(delta["context_switches"])};
    if (hw) {
      row.push_back(std::to_string(delta["instructions"]));
      row.push_back(std::to_string(delta["cycles"]));
      row.push_back(std::to_string(delta["llc_load_misses"]));
    }
    // Map operations of the phase: phases past the BPF side's last slot share it.
    bool own_slot = from.phase < MAPS_PHASES - 1 || k + 2 == c.reads.size();
    if (exact && own_slot && slot < c.op_calls_by_phase.size()) {
      std::map<std::string, uint64_t> by_op = {{"lookups", 0}, {"inserts", 0}, {"deletes", 0}};
      for (size_t i = 0; i < info.op_functions.size(); i++) by_op[info.op_functions[i].op] += c.op_calls_by_phase[slot][i];
      uint64_t keys = 0;
      bool keys_known = true;
      for (size_t i = 0; slot < c.site_hits_by_phase.size() && i < info.lookup.sites.size(); i++) {
        const LookupSite& st = info.lookup.sites[i];
        uint64_t n = c.site_hits_by_phase[slot][i];
        if (st.kind == SiteKind::kCandidate || (st.kind == SiteKind::kSlot && st.compares_key)) keys += n;
        if (st.kind == SiteKind::kSlot && !st.compares_key && n) keys_known = false;
      }
      for (const auto& [op, n] : by_op) p[op] = n;
      nlohmann::ordered_json kpl = nullptr;
      if (keys_known && by_op["lookups"]) kpl = static_cast<double>(keys) / static_cast<double>(by_op["lookups"]);
      p["keys_compared_per_lookup"] = kpl;
      row.push_back(std::to_string(by_op["lookups"]));
      row.push_back(std::to_string(by_op["inserts"]));
      row.push_back(std::to_string(by_op["deletes"]));
      row.push_back(kpl.is_number() ? fmt::format("{:.3f}", kpl.get<double>()) : "-");
    } else if (exact) {
      row.insert(row.end(), {"-", "-", "-", "-"});
    }
    t.rows.push_back(std::move(row));
    out.push_back(std::move(p));
  }
  if (c.reads.size() - 1 > MAPS_PHASES) {
    r->degraded.push_back({"phases", fmt::format("{} phases; map operations of phase {} on are "
                                                 "counted together",
                                                 c.reads.size() - 1, MAPS_PHASES - 1)});
  }
  if (c.marks_lost) {
    r->degraded.push_back({"phases", fmt::format("{} marks found their ring full: phases merged", c.marks_lost)});
  }
  r->tables.push_back(std::move(t));
  r->notes.push_back(fmt::format("{} phases marked by {}; counters read at most {:.0f} us after a "
                                 "mark (what the target did meanwhile counts to the phase before)",
                                 out.size(), mark, static_cast<double>(max_lag) / 1e3));
  return out;
}

}  // namespace

std::string map_code_class(std::string_view f) {
  // The swiss map (go1.24+) and the compiler's entry points into either map, linknamed into
  // the runtime: runtime.mapaccess1_fast64, mapassign_faststr, mapdelete, mapiternext,
  // mapIterStart, mapclear, makemap... (GO-RUNTIME.md section 8).
  if (f.starts_with("internal/runtime/maps.") || f.starts_with("runtime.map") ||
      f.starts_with("runtime.makemap") || f.starts_with("runtime.makeBucketArray") ||
      f.starts_with("runtime.hashGrow") || f.starts_with("runtime.growWork") ||
      f.starts_with("runtime.evacuate") || f.starts_with("runtime.advanceEvacuationMark") ||
      f.starts_with("runtime.(*hmap).") || f.starts_with("runtime.(*bmap).") ||
      f.starts_with("runtime.tooManyOverflowBuckets") || f.starts_with("runtime.overLoadFactor")) {
    return "map";
  }
  // The hash functions a map calls through its type's hasher (runtime/alg.go): memhash*,
  // strhash, aeshash* (asm_amd64.s), interhash, nilinterhash, f32hash, f64hash, c64hash...
  if (f.starts_with("runtime.memhash") || f.starts_with("runtime.strhash") ||
      f.starts_with("runtime.aeshash") || f.starts_with("runtime.interhash") ||
      f.starts_with("runtime.nilinterhash") || f.starts_with("runtime.typehash") ||
      f == "runtime.f32hash" || f == "runtime.f64hash" || f == "runtime.c64hash" ||
      f == "runtime.c128hash") {
    return "hash";
  }
  return "";
}

Result<report::Report> run_maps(const MapsOptions& o,
                                const std::function<void(const std::string&)>& progress) {
  if (o.sample_hz > 10000) {
    return make_usage_error("--sample-hz {} is more than 10000 samples a second on each CPU",
                            o.sample_hz);
  }
  auto traced = session::open_traced("maps", o);
  if (!traced) return traced.error();
  probe::Target& t = *traced->target;
  // --watch is checked before the probes go in, and read from once they are.
  std::optional<std::pair<uint64_t, MapOffsets>> watch_at;
  if (!o.watch.empty()) {
    const goelf::Symbol* sym = traced->bin.elf().find_object(o.watch);
    if (!sym) {
      return make_usage_error("--watch {}: no such global in {}{}", o.watch, traced->bin.path(),
                              traced->bin.stripped() ? " (stripped: no symbol table)" : "");
    }
    // A map variable is one pointer (to runtime.hmap or maps.Map); a struct or an array is
    // not a map.
    if (sym->size != 8) {
      return make_usage_error("--watch {}: {} bytes, not a map variable (a map is one pointer)",
                              o.watch, sym->size);
    }
    auto offsets = map_offsets(goelf::resolve_layout(traced->bin), map_kind(traced->bin));
    if (!offsets) return make_error("--watch {}: {}", o.watch, offsets.error().message);
    watch_at.emplace(sym->addr, *offsets);
  }
  auto probes = MapsProbes::attach(traced->bin, t.pid(),
                                   {true, o.sample_hz, o.exact, watch_at ? watch_at->first : 0, o.phase_mark});
  if (!probes) return probes.error();
  if (o.exact) {
    const MapsAttach& a = (*probes)->attach_info();
    size_t emulated = 0;
    for (const auto& f : a.op_functions) emulated += f.emulated;
    bool all = emulated == a.op_functions.size();
    double us = (all ? traced->cost.ns_per_push_hit : traced->cost.ns_per_hit) / 1e3;
    progress(fmt::format(
        "--exact probes {} map functions ({} of them on an emulated instruction): every map "
        "lookup, insert and delete{} will cost the target about {:.1f} us more (measured here)",
        a.op_functions.size(), emulated, o.watch.empty() ? "" : " (of any map)", us));
    if (!a.lookup.sites.empty()) {
      size_t sites_emulated = 0;
      for (const auto& site : a.lookup.sites) sites_emulated += site.emulated;
      progress(fmt::format(
          "--exact probes {} sites inside the lookup code ({} emulated): each group or bucket "
          "visited and each slot scanned or key compared adds about {:.1f} us more (a lookup "
          "typically 2-10 of them)",
          a.lookup.sites.size(), sites_emulated,
          (sites_emulated == a.lookup.sites.size() ? traced->cost.ns_per_push_hit
                                                   : traced->cost.ns_per_hit) / 1e3));
    }
  }
  std::unique_ptr<MapWatcher> watcher;
  if (watch_at) watcher = std::make_unique<MapWatcher>(t.pid(), watch_at->first, watch_at->second);
  if (!t.alive()) return make_error("PID {} exited during attach", t.pid());
  const MapsAttach info = (*probes)->attach_info();
  progress(fmt::format("tracing the {} maps of PID {} ({}); {}", kind_name(info.kind), t.pid(),
                       traced->bin.build().go_version,
                       session::how_it_stops(o)));
  auto session = session::run_session(t, o.duration_s);
  if (!session) return session.error();
  auto counts = (*probes)->read();
  if (!counts) return counts.error();
  probes->reset();
  if (watcher) watcher->stop();  // one last read while a -d run's target still runs
  session::end_session(*traced, *session);

  report::Report r = session::begin_report("EXP-07", *traced, *session);
  const MapsCounts& c = *counts;
  r.data["kind"] = kind_name(info.kind);
  r.lost_events = c.lost;

  // --- growths ----------------------------------------------------------------------------
  bool traced_growth = info.growth_unavailable.empty();
  if (!traced_growth) r.degraded.push_back({"map growth", info.growth_unavailable});
  nlohmann::ordered_json growths = nlohmann::ordered_json::array();
  std::map<std::string, GrowthStats> by_kind;
  std::map<uint64_t, uint64_t> per_map;
  for (const Growth& g : c.growths) {
    growths.push_back({{"kind", g.kind},
                       {"map", g.map},
                       {"entries", g.entries},
                       {"entries_before", g.cap_before},
                       {"entries_after", g.cap_after},
                       {"table_entries", g.table_entries},
                       {"us", g.timed ? nlohmann::ordered_json(g.us) : nullptr},
                       {"at_s", g.start_s}});
    GrowthStats& s = by_kind[g.kind];
    s.timed = g.timed;
    s.n++;
    s.us_sum += g.us;
    s.us_max = std::max(s.us_max, g.us);
    per_map[g.map]++;
  }
  r.data["growths"] = std::move(growths);
  nlohmann::ordered_json summary = nlohmann::ordered_json::object();
  report::Table gt{"map growths by kind (slots: what the map's storage holds; time: the growth "
                   "function's call, entry to RET)",
                   {"kind", "growths", "mean us", "max us"},
                   {}};
  for (const auto& [kind, s] : by_kind) {
    double mean = s.n ? s.us_sum / static_cast<double>(s.n) : 0;
    if (!s.timed) {  // growToSmall: entry probe only
      summary[kind] = {{"growths", s.n}, {"mean_us", nullptr}, {"max_us", nullptr}};
      gt.rows.push_back({kind, std::to_string(s.n), "-", "-"});
      continue;
    }
    summary[kind] = {{"growths", s.n}, {"mean_us", mean}, {"max_us", s.us_max}};
    gt.rows.push_back({kind, std::to_string(s.n), fmt::format("{:.1f}", mean),
                       fmt::format("{:.1f}", s.us_max)});
  }
  r.data["growth_summary"] = std::move(summary);
  r.data["maps_grown"] = per_map.size();
  if (traced_growth) r.tables.push_back(std::move(gt));
  r.data["growth_probes"] = {{"functions", info.probed},
                             {"sites", info.probe_sites},
                             {"entries", c.entries},
                             {"events", c.events},
                             {"returns_without_entry", c.no_entry},
                             {"in_flight_at_end", c.entries > c.events + c.lost ? c.entries - c.events - c.lost : 0}};
  if (traced_growth) {
    r.notes.push_back(fmt::format(
        "{} growths of {} maps ({} map); probed: {}", c.growths.size(), per_map.size(),
        kind_name(info.kind), fmt::format("{}", fmt::join(info.probed, ", "))));
    if (info.kind == MapKind::kBuckets) {
      r.notes.push_back(
          "a bucket map's growth (runtime.hashGrow) only allocates the new buckets: the old "
          "ones are evacuated by the writes that follow (growWork), so its time is the first "
          "step of the growth (go1.19-1.23 runtime/map.go)");
    }
  }
  if (c.lost) {
    r.degraded.push_back({"growth events", fmt::format("{} growths found the ring full: not "
                                                       "in the list",
                                                       c.lost)});
  }

  // --- --exact: calls of each map function ----------------------------------------------
  if (o.exact) {
    nlohmann::ordered_json fns = nlohmann::ordered_json::array();
    std::map<std::string, uint64_t> by_op = {{"lookups", 0}, {"inserts", 0}, {"deletes", 0}};
    report::Table et{fmt::format("map operations (--exact: a probe on each map function{})",
                                 o.watch.empty() ? ", every map" : ", the map " + o.watch + " holds"),
                     {"function", "counts as", "calls"},
                     {}};
    for (size_t i = 0; i < info.op_functions.size() && i < c.op_calls.size(); i++) {
      const auto& f = info.op_functions[i];
      by_op[f.op] += c.op_calls[i];
      fns.push_back({{"function", f.name}, {"op", f.op}, {"calls", c.op_calls[i]}});
      if (c.op_calls[i]) et.rows.push_back({f.name, f.op, std::to_string(c.op_calls[i])});
    }
    nlohmann::ordered_json ex = {{"map", o.watch.empty() ? "all" : o.watch}};
    for (const auto& [op, n] : by_op) ex[op] = n;
    ex["functions"] = std::move(fns);
    ex["wrappers_not_probed"] = info.op_wrappers;
    ex["per_lookup"] = per_lookup_json(info, c, by_op["lookups"], info.kind, &r);
    r.data["exact"] = std::move(ex);
    r.tables.push_back(std::move(et));
    r.notes.push_back(fmt::format(
        "--exact: {} lookups, {} inserts (new keys and updates), {} deletes{}; mapaccess1_fat "
        "and mapaccess2_fat call mapaccess1/2 and are counted there{}",
        by_op["lookups"], by_op["inserts"], by_op["deletes"],
        o.watch.empty() ? " in every map" : " in the map " + o.watch + " holds",
        info.op_wrappers.empty() ? ""
                                 : fmt::format("; not probed, as they call another: {}",
                                               fmt::join(info.op_wrappers, ", "))));
  }

  // --- the watched map ----------------------------------------------------------------------
  if (watcher) {
    auto samples = watcher->samples();
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const MapLayout& l : samples) list.push_back(layout_json(l, info.kind));
    nlohmann::ordered_json w = {{"var", o.watch}, {"kind", kind_name(info.kind)}};
    if (!samples.empty()) {
      nlohmann::ordered_json last = layout_json(samples.back(), info.kind);
      for (auto it = last.begin(); it != last.end(); ++it) w[it.key()] = it.value();
    }
    w["samples"] = std::move(list);
    std::string err = watcher->last_error();
    if (samples.empty()) {
      r.degraded.push_back({"--watch " + o.watch, err.empty() ? "no read: the target ended "
                                                                "before the first second"
                                                              : err});
    }
    r.data["watch"] = std::move(w);
    if (!samples.empty()) r.tables.push_back(layout_table(o.watch, samples, info.kind));
  }

  // --- CPU in map code --------------------------------------------------------------------
  nlohmann::ordered_json cpu = {{"sample_hz", o.sample_hz}, {"samples", c.samples}};
  if (o.sample_hz) {
    uint64_t bias = session->load_bias.value_or(0);
    std::map<std::string, uint64_t> by_function;
    uint64_t kernel = 0, unknown = 0, elsewhere = 0, map_samples = 0, hash_samples = 0;
    const auto& pcln = traced->bin.pclntab();
    uint64_t text_lo = pcln.functions.empty() ? 0 : pcln.functions.front().entry;
    uint64_t text_hi = pcln.functions.empty() ? 0 : pcln.functions.back().end;
    for (const auto& [pc, n] : c.pcs) {
      if (pc == 0) {
        kernel += n;
        continue;
      }
      // Outside the Go text: the C side of a cgo program, the dynamic loader, the vDSO.
      if (pc < bias || pc - bias < text_lo || pc - bias >= text_hi) {
        elsewhere += n;
        continue;
      }
      const goelf::PclnFunction* fn = pcln.at(pc - bias);
      if (!fn) {
        unknown += n;
        continue;
      }
      std::string cls = map_code_class(fn->name);
      if (cls.empty()) continue;
      (cls == "map" ? map_samples : hash_samples) += n;
      by_function[fn->name] += n;
    }
    std::vector<std::pair<std::string, uint64_t>> top(by_function.begin(), by_function.end());
    std::stable_sort(top.begin(), top.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    nlohmann::ordered_json fns = nlohmann::ordered_json::array();
    report::Table ct{"CPU in map code (cpu-clock samples of the target's threads)",
                     {"function", "class", "samples", "% of all"},
                     {}};
    for (size_t i = 0; i < top.size(); i++) {
      const auto& [name, n] = top[i];
      fns.push_back({{"function", name}, {"class", map_code_class(name)}, {"samples", n},
                     {"share", pct(n, c.samples) / 100}});
      if (i < kTopFunctions) {
        ct.rows.push_back({name, map_code_class(name), std::to_string(n),
                           fmt::format("{:.1f}", pct(n, c.samples))});
      }
    }
    if (top.size() > kTopFunctions) {
      uint64_t rest = 0;
      for (size_t i = kTopFunctions; i < top.size(); i++) rest += top[i].second;
      ct.rows.push_back({fmt::format("({} more)", top.size() - kTopFunctions), "", std::to_string(rest),
                         fmt::format("{:.1f}", pct(rest, c.samples))});
    }
    cpu["map_samples"] = map_samples;
    cpu["hash_samples"] = hash_samples;
    cpu["map_share"] = pct(map_samples, c.samples) / 100;
    cpu["hash_share"] = pct(hash_samples, c.samples) / 100;
    cpu["kernel_samples"] = kernel;
    cpu["outside_go_samples"] = elsewhere;
    cpu["unsymbolized_samples"] = unknown;
    cpu["dropped_samples"] = c.samples_dropped;
    cpu["functions"] = std::move(fns);
    if (!session->load_bias && traced->bin.elf().is_pie()) {
      r.degraded.push_back({"cpu samples", "the PIE's load bias was not read: pcs unnamed"});
    }
    if (!ct.rows.empty()) r.tables.push_back(std::move(ct));
    r.notes.push_back(fmt::format(
        "{} cpu-clock samples at {} Hz: {:.1f}% in map code, {:.1f}% in hash functions, {:.1f}% "
        "in the kernel",
        c.samples, o.sample_hz, pct(map_samples, c.samples), pct(hash_samples, c.samples),
        pct(kernel, c.samples)));
  }
  r.data["cpu"] = std::move(cpu);

  // --- the target's counters, whole run and by phase -----------------------------------
  r.data["hw_counters"] = counters_json(info, c, o.phase_mark, &r);
  if (!o.phase_mark.empty()) {
    r.data["phases"] = phases_json(info, c, o.phase_mark, &r);
  }

  // Entry probes sit after the stack check (emulated where that is a PUSH: go1.21+); RETs
  // are single-stepped. Samples cost no uprobe.
  uint64_t emulated = info.entries_emulated ? c.entries : 0;
  uint64_t rets = c.events > c.untimed ? c.events - c.untimed : 0;
  uint64_t stepped = (info.entries_emulated ? 0 : c.entries) + rets + c.no_entry;
  for (size_t i = 0; i < info.op_functions.size() && i < c.op_calls.size(); i++) {
    (info.op_functions[i].emulated ? emulated : stepped) += c.op_calls[i];
  }
  for (size_t i = 0; i < info.lookup.sites.size() && i < c.site_hits.size(); i++) {
    (info.lookup.sites[i].emulated ? emulated : stepped) += c.site_hits[i];
  }
  r.overhead = session::overhead(traced->cost, emulated, stepped);
  return r;
}

}  // namespace gri::exp::maps
