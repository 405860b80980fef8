#include "exp/steal/experiment.h"

#include <algorithm>
#include <numeric>

#include <fmt/format.h>

#include "exp/steal/steal_probes.h"
#include "exp/steal/timeline.h"
#include "session/session.h"

namespace gri::exp::steal {

namespace {

// Columns of the heat table that fit in 100 columns of text.
constexpr size_t kMaxTableColumns = 10;

// One character of heat for a cell: its share of the largest cell, from none to all.
char heat(uint64_t v, uint64_t max) {
  static constexpr std::string_view kShades = ".:-=+*#%@";
  if (v == 0 || max == 0) return ' ';
  size_t i = static_cast<size_t>((static_cast<double>(v) / static_cast<double>(max)) *
                                 static_cast<double>(kShades.size() - 1) + 0.5);
  return kShades[std::min(i, kShades.size() - 1)];
}

double pct(uint64_t part, uint64_t whole) {
  return whole ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}

nlohmann::ordered_json rows(const Matrix& m, size_t n) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (size_t i = 0; i < n; i++) out.push_back(std::vector<uint64_t>(m[i].begin(), m[i].begin() + n));
  return out;
}

uint64_t row_sum(const Matrix& m, size_t i) {
  return std::accumulate(m[i].begin(), m[i].end(), uint64_t{0});
}
uint64_t col_sum(const Matrix& m, size_t j) {
  uint64_t s = 0;
  for (const auto& r : m) s += r[j];
  return s;
}

// The matrices' size: every P the runtime has (GOMAXPROCS), and any P id seen beyond it
// (GOMAXPROCS changed during the session).
size_t matrix_size(const StealCounts& c, std::optional<int> gomaxprocs) {
  size_t n = gomaxprocs && *gomaxprocs > 0 ? static_cast<size_t>(*gomaxprocs) : 1;
  for (size_t i = 0; i < c.attempt_matrix.size(); i++) {
    if (row_sum(c.attempt_matrix, i) || col_sum(c.attempt_matrix, i)) n = std::max(n, i + 1);
  }
  return std::min(n, c.attempt_matrix.size());
}

// The heat table of goroutines stolen: the Ps that took part, busiest victims first when
// they do not all fit.
report::Table heat_table(const StealCounts& c, size_t n) {
  std::vector<size_t> thieves, victims;
  for (size_t i = 0; i < n; i++) {
    if (row_sum(c.attempt_matrix, i)) thieves.push_back(i);
    if (col_sum(c.stolen_matrix, i)) victims.push_back(i);
  }
  std::stable_sort(victims.begin(), victims.end(), [&](size_t a, size_t b) {
    return col_sum(c.stolen_matrix, a) > col_sum(c.stolen_matrix, b);
  });
  if (victims.size() > kMaxTableColumns) victims.resize(kMaxTableColumns);
  std::sort(victims.begin(), victims.end());
  uint64_t max = 0;
  for (const auto& r : c.stolen_matrix) max = std::max(max, *std::max_element(r.begin(), r.end()));
  report::Table t{"goroutines stolen (row: thief P, column: victim P; heat . : - = + * # % @ of the "
                  "largest cell)",
                  {"thief"},
                  {}};
  for (size_t v : victims) t.columns.push_back(fmt::format("P{}", v));
  for (const char* h : {"stolen", "steals", "attempts", "cross-CPU"}) t.columns.push_back(h);
  for (size_t th : thieves) {
    std::vector<std::string> row{fmt::format("P{}", th)};
    for (size_t v : victims) {
      uint64_t x = c.stolen_matrix[th][v];
      row.push_back(x ? fmt::format("{} {}", x, heat(x, max)) : "0  ");
    }
    uint64_t steals = row_sum(c.steal_matrix, th);
    row.push_back(std::to_string(row_sum(c.stolen_matrix, th)));
    row.push_back(std::to_string(steals));
    row.push_back(std::to_string(row_sum(c.attempt_matrix, th)));
    row.push_back(steals ? fmt::format("{:.0f}%", pct(row_sum(c.cross_cpu_matrix, th), steals)) : "-");
    t.rows.push_back(std::move(row));
  }
  return t;
}

}  // namespace

Result<report::Report> run_steal(const StealOptions& o,
                                 const std::function<void(const std::string&)>& progress) {
  auto traced = session::open_traced("steal", o);
  if (!traced) return traced.error();
  probe::Target& t = *traced->target;
  auto probes = StealProbes::attach(traced->bin, t.pid(), {o.ret_probes, !o.no_cpus});
  if (!probes) return probes.error();
  if (!t.alive()) return make_error("PID {} exited during attach", t.pid());
  progress(fmt::format("tracing the work stealing of PID {} ({}); {}", t.pid(),
                       traced->bin.build().go_version,
                       session::how_it_stops(o)));
  auto session = session::run_session(t, o.duration_s);
  if (!session) return session.error();
  auto counts = (*probes)->read();
  if (!counts) return counts.error();
  const StealAttach info = (*probes)->attach_info();
  probes->reset();  // detach: the target runs unprobed from here
  session::end_session(*traced, *session);

  report::Report r = session::begin_report("EXP-03", *traced, *session);
  const StealCounts& c = *counts;
  bool probed = info.unavailable.empty();
  if (!probed) r.degraded.push_back({"runtime.runqgrab", info.unavailable});
  bool cpus = probed && info.cpus_unavailable.empty();
  if (probed && !cpus) r.degraded.push_back({"victim CPU", info.cpus_unavailable});
  if (c.p_out_of_range) {
    r.degraded.push_back({"P matrix", fmt::format("{} attempts involved a P id that was unreadable "
                                                  "or >= {}: counted in the totals only",
                                                  c.p_out_of_range, c.attempt_matrix.size())});
  }
  // Probes at runqsteal's CALL and Jcc are emulated; in the fallback, runqgrab's entry is
  // emulated where it is a PUSH (Go 1.26/1.27), single-stepped otherwise (Go 1.19's SUBQ),
  // and a RET is single-stepped.
  r.overhead = session::overhead(
      traced->cost, (info.entry_emulated ? c.attempts : 0) + (info.result_emulated ? c.returns : 0),
      (info.entry_emulated ? 0 : c.attempts) + (info.result_emulated ? 0 : c.returns));
  if (!info.result_fallback.empty()) {
    r.degraded.push_back({"runqgrab call in runqsteal",
                          info.result_fallback +
                              "; probed at runqgrab's entry and RETs instead (dearer)"});
  }

  size_t n = matrix_size(c, session->gomaxprocs);
  uint64_t max_batch = 0;
  for (size_t k = 0; k < c.batch_sizes.size(); k++) {
    if (c.batch_sizes[k]) max_batch = k;
  }
  nlohmann::ordered_json sizes = nlohmann::ordered_json::object();
  for (size_t k = 1; k < c.batch_sizes.size(); k++) {
    if (c.batch_sizes[k]) sizes[std::to_string(k)] = c.batch_sizes[k];
  }
  r.data["steal_matrix"] = rows(c.stolen_matrix, n);
  r.data["steal_attempts"] = c.attempts;
  r.data["steals"] = c.steals;
  r.data["stolen_goroutines"] = c.stolen;
  r.data["attempt_matrix"] = rows(c.attempt_matrix, n);
  r.data["steal_count_matrix"] = rows(c.steal_matrix, n);
  r.data["cross_cpu_matrix"] = rows(c.cross_cpu_matrix, n);
  r.data["steal_sizes"] = std::move(sizes);
  r.data["max_goroutines_per_steal"] = max_batch;
  report_timeline(c.timeline, r);  // --perfetto
  r.data["cpus"] = {
      {"tracked", cpus},
      {"meaning", "thief: the CPU its M ran runqgrab's return on; victim: the CPU the victim "
                  "P's M (p.m, thread m.procid) was on, or last ran on, by sched_switch"},
      {"same_cpu_steals", c.same_cpu},
      {"cross_cpu_steals", c.cross_cpu},
      {"victim_without_m", c.victim_no_m},
      {"victim_cpu_unknown", c.victim_cpu_unknown}};
  r.data["probes"] = {{"call_site", info.entry_site},
                      {"result_site", info.result_site},
                      {"return_sites_probed", info.returns_probed},
                      {"return_sites_skipped", info.returns_skipped},
                      {"returns", c.returns},
                      {"zero_returns", c.zero_returns},
                      {"returns_without_entry", c.no_entry},
                      {"in_flight_at_end", info.returns_skipped ? nlohmann::ordered_json() : nlohmann::ordered_json(c.in_flight)},
                      {"sched_switch_ins", c.switch_ins}};
  if (probed) r.tables.push_back(heat_table(c, n));
  r.notes.push_back(fmt::format(
      "{} steal attempts (runqgrab calls), {} took goroutines ({:.1f}%): {} goroutines, {:.1f} a "
      "steal, at most {}",
      c.attempts, c.steals, pct(c.steals, c.attempts), c.stolen,
      c.steals ? static_cast<double>(c.stolen) / static_cast<double>(c.steals) : 0.0, max_batch));
  if (cpus) {
    r.notes.push_back(fmt::format(
        "CPUs: {} steals ({:.0f}% of those with both CPUs known) crossed CPUs, {} stayed on the "
        "victim M's CPU, {} from a P with no M, {} "
        "whose M was not seen on a CPU yet. Thief CPU: where runqgrab returned; victim CPU: where "
        "the victim P's M thread runs or last ran (sched_switch)",
        c.cross_cpu, pct(c.cross_cpu, c.cross_cpu + c.same_cpu), c.same_cpu, c.victim_no_m,
        c.victim_cpu_unknown));
  }
  if (probed) {
    r.notes.push_back(fmt::format("runqgrab calls seen at {}, results read at {}{}", info.entry_site,
                                  info.result_site,
                                  info.returns_skipped
                                      ? "; a failed attempt costs its entry probe only"
                                      : ""));
  }
  if (c.no_entry) {
    r.notes.push_back(fmt::format("{} returns without an entry (calls begun before the probes "
                                  "were in): not counted",
                                  c.no_entry));
  }

  std::string why = probed ? "" : "runqgrab not probed: see degraded";
  std::optional<int> procs = session->gomaxprocs;
  if (procs && *procs == 1) {
    r.verdicts.push_back({"EXP-03.one-p", "with one P there is no one to steal from",
                          !probed                              ? "inconclusive"
                          : c.attempts == 0 && c.steals == 0 ? "verified"
                                                             : "refuted",
                          probed ? fmt::format("GOMAXPROCS=1: {} attempts, {} steals", c.attempts,
                                               c.steals)
                                 : why});
  } else {
    r.verdicts.push_back(
        {"EXP-03.stealing", "Ps that run out of work take goroutines from other Ps' run queues",
         !probed || c.steals == 0 ? "inconclusive" : "verified",
         !probed ? why
         : c.steals ? fmt::format("{} steals took {} goroutines in {} attempts", c.steals,
                                  c.stolen, c.attempts)
                    : fmt::format("no steal in {} attempts: no P ran out of work while another had a "
                                  "queue",
                                  c.attempts)});
  }
  if (procs && *procs == 1) return r;  // nothing to steal: no batch to judge
  r.verdicts.push_back(
      {"EXP-03.half", "a steal takes a batch of at most half a run queue: 1 to 128 goroutines",
       !probed || c.steals == 0                 ? "inconclusive"
       : c.over_half == 0 && max_batch <= 128 ? "verified"
                                              : "refuted",
       !probed ? why
       : c.steals ? fmt::format("{} steals of 1 to {} goroutines ({} of one; {} over 128)", c.steals,
                                max_batch, c.batch_sizes[1], c.over_half)
                  : "no steal"});
  return r;
}

}  // namespace gri::exp::steal
