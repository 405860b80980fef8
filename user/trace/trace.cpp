#include "trace/trace.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include <fmt/format.h>

#include "goelf/runtime_layout.h"
#include "probe/go_offsets.h"
#include "probe/go_uprobe.h"
#include "probe/maps.h"
#include "probe/owned.h"
#include "probe/target.h"
#include "probe/uprobe_check.h"
#include "session/session.h"
#include "bpf/trace.h"
#include "trace.skel.h"

namespace gri::trace {

namespace {

// Goroutines that may be inside traced functions at once.
constexpr uint32_t kInflight = 16384;

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); j++) prev[j] = j;
  for (size_t i = 1; i <= a.size(); i++) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); j++) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string human_ns(uint64_t ns) {
  if (ns < 1000) return fmt::format("{}ns", ns);
  if (ns < 1000000) return fmt::format("{:.1f}us", ns / 1e3);
  if (ns < 1000000000) return fmt::format("{:.1f}ms", ns / 1e6);
  return fmt::format("{:.2f}s", ns / 1e9);
}

}  // namespace

std::vector<std::string> closest_functions(const goelf::GoBinary& bin, const std::string& name,
                                           size_t n) {
  std::vector<std::pair<size_t, std::string>> scored;
  for (const goelf::PclnFunction& f : bin.pclntab().functions) {
    // A name that contains what was typed ("gcStart" in "runtime.gcStart") ranks first.
    size_t d = f.name.find(name) != std::string::npos ? f.name.size() - name.size()
                                                       : 1000 + edit_distance(name, f.name);
    scored.emplace_back(d, f.name);
  }
  std::partial_sort(scored.begin(), scored.begin() + static_cast<long>(std::min(n, scored.size())),
                    scored.end());
  std::vector<std::string> out;
  for (size_t i = 0; i < n && i < scored.size(); i++) out.push_back(scored[i].second);
  return out;
}

uint64_t log2_percentile(const std::vector<uint64_t>& slots, double q) {
  uint64_t total = 0;
  for (uint64_t c : slots) total += c;
  if (total == 0) return 0;
  uint64_t rank = static_cast<uint64_t>(q * static_cast<double>(total));
  if (rank >= total) rank = total - 1;
  uint64_t seen = 0;
  for (size_t s = 0; s < slots.size(); s++) {
    seen += slots[s];
    if (seen > rank) return s >= 63 ? UINT64_MAX : (uint64_t{1} << (s + 1));
  }
  return 0;
}

Result<report::Report> run_trace(const TraceOptions& o,
                                 const std::function<void(const std::string&)>& progress) {
  if (o.functions.empty()) return make_usage_error("no function to trace: give -f FUNC");
  if (o.functions.size() > TRACE_MAX_FUNCS) {
    return make_usage_error("at most {} functions per trace", TRACE_MAX_FUNCS);
  }
  auto traced = session::open_traced("trace", o);
  if (!traced) return traced.error();
  probe::Target& t = *traced->target;
  const goelf::GoBinary* bin = &traced->bin;
  const probe::SelftestResult* cost = &traced->cost;

  // Every function must be probeable before anything is attached.
  for (const std::string& f : o.functions) {
    if (bin->find_function(f)) continue;
    return make_usage_error("unknown function {} in {} ({}): not in its function table, or "
                            "inlined at every call; closest: {}",
                            f, t.exe(), bin->build().go_version,
                            fmt::join(closest_functions(*bin, f), ", "));
  }

  probe::Owned<trace_bpf, trace_bpf__destroy> skel(trace_bpf__open());
  if (!skel) return make_error("cannot open the trace BPF object: {}", strerror(errno));
  skel->rodata->cfg.tgid = static_cast<__u32>(t.pid());
  skel->rodata->cfg.nfuncs = static_cast<__u32>(o.functions.size());
  // Calls per P need g.m.p.id: offsets from the binary's DWARF or its version's table.
  goelf::RuntimeLayout layout = goelf::resolve_layout(*bin);
  auto offsets = probe::resolve_go_offsets(layout, bin->build().go_version);
  std::string no_ps = offsets ? "" : offsets.error().message;
  skel->rodata->cfg.count_ps = offsets ? 1 : 0;
  skel->rodata->cfg.pad = 0;
  skel->rodata->cfg.go = offsets ? *offsets : go_offsets{};
  bpf_map__set_max_entries(skel->maps.inflight, kInflight);
  if (int err = trace_bpf__load(skel.get()); err != 0) {
    return make_error("cannot load the trace BPF programs: {} (run gri doctor)", strerror(-err));
  }

  std::vector<probe::Link> links;
  size_t returns = 0;
  // What one entry hit costs, per function: emulated (PUSH) or single-stepped.
  std::vector<double> entry_cost;
  for (const std::string& f : o.functions) {
    auto point = probe::resolve_probe_point(*bin, f);
    if (!point) return point.error();
    entry_cost.push_back(point->entry_emulated ? cost->ns_per_push_hit : cost->ns_per_hit);
  }
  for (size_t i = 0; i < o.functions.size(); i++) {
    auto l = probe::attach_entry_and_returns(*bin, o.functions[i], skel->progs.trace_entry,
                                             skel->progs.trace_return, i, t.pid());
    if (!l) {
      if (!t.alive()) return make_error("PID {} exited during attach", t.pid());
      return l.error();
    }
    returns += l->size() - 1;
    for (auto& link : *l) links.push_back(std::move(link));
  }
  if (!t.alive()) return make_error("PID {} exited during attach", t.pid());
  progress(fmt::format("tracing {} function(s) of PID {} ({} entry and {} return probes); one hit "
                       "costs {:.1f} us here. {}",
                       o.functions.size(), t.pid(), o.functions.size(), returns,
                       cost->ns_per_hit / 1000,
                       o.duration_s ? fmt::format("Stops after {} s or Ctrl-C.", *o.duration_s)
                                    : std::string("Ctrl-C stops.")));

  auto session = session::run_session(t, o.duration_s);
  if (!session) return session.error();
  auto end = session->end;

  auto calls = probe::sum_percpu_u64(skel->maps.calls, TRACE_MAX_FUNCS);
  if (!calls) return calls.error();
  auto hist = probe::sum_percpu_u64(skel->maps.hist, TRACE_MAX_FUNCS * TRACE_HIST_SLOTS);
  if (!hist) return hist.error();
  auto ctr = probe::sum_percpu_u64(skel->maps.counters, TRACE_CTR_NR);
  if (!ctr) return ctr.error();
  auto by_p = probe::sum_percpu_u64(skel->maps.calls_by_p, TRACE_MAX_FUNCS * TRACE_MAX_PS);
  if (!by_p) return by_p.error();
  links.clear();  // detach before anything else: the target runs unprobed from here
  if (end != probe::Target::End::kExited && t.launched()) progress("stopping the command (SIGTERM)");
  session::end_session(*traced, *session);

  report::Report r = session::begin_report("trace", *traced, *session);
  uint64_t hits = (*ctr)[TRACE_CTR_RETURNS];
  double est_ns = static_cast<double>((*ctr)[TRACE_CTR_RETURNS]) * cost->ns_per_hit;
  report::Table table{"functions (latency per goroutine, entry to return; log2 buckets, "
                      "percentiles are bucket upper bounds)",
                      {"function", "calls", "timed", "p50", "p99", "max <", "calls by P"},
                      {}};
  nlohmann::ordered_json functions = nlohmann::ordered_json::array();
  for (size_t i = 0; i < o.functions.size(); i++) {
    std::vector<uint64_t> slots((*hist).begin() + static_cast<long>(i * TRACE_HIST_SLOTS),
                                (*hist).begin() + static_cast<long>((i + 1) * TRACE_HIST_SLOTS));
    uint64_t timed = 0;
    size_t top = 0;
    nlohmann::ordered_json buckets = nlohmann::ordered_json::array();
    for (size_t s = 0; s < slots.size(); s++) {
      if (!slots[s]) continue;
      timed += slots[s];
      top = s;
      buckets.push_back({{"lo_ns", s == 0 ? 0 : uint64_t{1} << s},
                         {"hi_ns", uint64_t{1} << (s + 1)},
                         {"count", slots[s]}});
    }
    hits += (*calls)[i];
    est_ns += static_cast<double>((*calls)[i]) * entry_cost[i];
    uint64_t p50 = log2_percentile(slots, 0.50), p99 = log2_percentile(slots, 0.99);
    // Calls per P id, up to the highest P that made one.
    std::vector<uint64_t> per_p((*by_p).begin() + static_cast<long>(i * TRACE_MAX_PS),
                                (*by_p).begin() + static_cast<long>((i + 1) * TRACE_MAX_PS));
    while (!per_p.empty() && per_p.back() == 0) per_p.pop_back();
    std::vector<std::string> per_p_text;
    for (size_t p = 0; p < per_p.size(); p++) per_p_text.push_back(fmt::format("{}:{}", p, per_p[p]));
    nlohmann::ordered_json fn;
    fn["name"] = o.functions[i];
    fn["calls"] = (*calls)[i];
    fn["calls_by_p"] = no_ps.empty() ? nlohmann::ordered_json(per_p) : nlohmann::ordered_json(nullptr);
    fn["latency_ns"] = {{"count", timed}, {"p50", p50}, {"p99", p99}, {"hist", buckets}};
    functions.push_back(std::move(fn));
    table.rows.push_back({o.functions[i], std::to_string((*calls)[i]), std::to_string(timed),
                          timed ? human_ns(p50) : "-", timed ? human_ns(p99) : "-",
                          timed ? human_ns(uint64_t{1} << (top + 1)) : "-",
                          no_ps.empty() ? fmt::format("{}", fmt::join(per_p_text, " ")) : "-"});
  }
  r.data["functions"] = std::move(functions);
  r.data["unmatched_returns"] = (*ctr)[TRACE_CTR_UNMATCHED_RETURN];
  r.data["untimed_depth_overflow"] = (*ctr)[TRACE_CTR_DEPTH_OVERFLOW];
  r.data["untimed_inflight_full"] = (*ctr)[TRACE_CTR_INFLIGHT_FULL];
  r.data["calls_without_p"] = (*ctr)[TRACE_CTR_NO_P];
  if (!no_ps.empty()) r.degraded.push_back({"calls_by_p", no_ps});
  r.tables.push_back(std::move(table));
  if ((*ctr)[TRACE_CTR_UNMATCHED_RETURN]) {
    r.notes.push_back(fmt::format("{} returns had no entry (calls in flight when tracing began)",
                                  (*ctr)[TRACE_CTR_UNMATCHED_RETURN]));
  }
  if ((*ctr)[TRACE_CTR_DEPTH_OVERFLOW] || (*ctr)[TRACE_CTR_INFLIGHT_FULL]) {
    r.notes.push_back(fmt::format("{} calls counted but not timed (recursion deeper than {}, or {} "
                                  "goroutines in traced calls at once)",
                                  (*ctr)[TRACE_CTR_DEPTH_OVERFLOW] + (*ctr)[TRACE_CTR_INFLIGHT_FULL],
                                  TRACE_MAX_DEPTH, kInflight));
  }
  r.overhead = {hits, hits ? est_ns / static_cast<double>(hits) : cost->ns_per_hit, est_ns / 1e9};
  r.notes.push_back(fmt::format(
      "probe cost measured at start-up: {:.1f} us a hit on a RET (single-stepped), {:.1f} us on "
      "a PUSH (emulated; where entry probes after the stack check sit)",
      cost->ns_per_hit / 1000, cost->ns_per_push_hit / 1000));
  return r;
}

}  // namespace gri::trace
