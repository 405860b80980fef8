#include "exp/sched/experiment.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <thread>

#include <fmt/format.h>

#include "common/text_file.h"
#include "exp/sched/blocking.h"
#include "exp/sched/live.h"
#include "exp/sched/profile.h"
#include "exp/sched/sampler.h"
#include "exp/sched/sched_probes.h"
#include "exp/sched/schedtrace.h"
#include "exp/sched/timeline.h"
#include "exp/sched/verdicts.h"
#include "probe/go_uprobe.h"
#include "probe/target.h"
#include "session/session.h"
#include "snapshot/snapshot.h"

namespace gri::exp::sched {

namespace {

constexpr double kMaxRateHz = 10000;
// schedtrace's period for --crosscheck, in ms: often enough to see a queue that fills and
// drains within a second.
constexpr int kSchedtraceMs = 100;

double frac(uint64_t part, uint64_t whole) {
  return whole ? static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}
double secs(uint64_t ns) { return static_cast<double>(ns) / 1e9; }
std::string pct(double f) { return fmt::format("{:.0f}%", f * 100); }

// Schedule rounds per second of a live process, from p.schedtick over `window`: what --deep
// would pay two probe hits for. nullopt when the runtime cannot be read.
std::optional<double> rounds_per_second(pid_t pid, std::chrono::milliseconds window) {
  auto snap = snapshot::Snapshotter::open(pid);
  if (!snap) return std::nullopt;
  auto a = snap->take();
  std::this_thread::sleep_for(window);
  auto b = snap->take();
  if (!a || !b || b->mono_ns <= a->mono_ns) return std::nullopt;
  uint64_t ticks = 0;
  for (size_t i = 0; i < std::min(a->ps.size(), b->ps.size()); ++i) {
    ticks += static_cast<uint32_t>(b->ps[i].schedtick - a->ps[i].schedtick);
  }
  return static_cast<double>(ticks) / secs(b->mono_ns - a->mono_ns);
}

struct BlockedRow {
  BlockKind kind;
  std::string where;
  uint64_t ns = 0;
  uint64_t count = 0;
};

}  // namespace

Result<report::Report> run_sched(const SchedOptions& o,
                                 const std::function<void(const std::string&)>& progress) {
  if (!(o.rate_hz > 0) || o.rate_hz > kMaxRateHz) {
    return make_usage_error("--rate {}: snapshots per second must be in (0, {}]", o.rate_hz,
                            kMaxRateHz);
  }
  if (o.crosscheck && o.pid) {
    return make_usage_error("--crosscheck needs -- CMD: gri starts it with GODEBUG=schedtrace={}",
                            kSchedtraceMs);
  }
  std::vector<std::string> env;
  std::string trace_path;
  if (o.crosscheck) {
    trace_path = o.schedtrace_log;
    if (trace_path.empty()) {
      char tmpl[] = "/tmp/gri-schedtrace.XXXXXX";
      int fd = mkstemp(tmpl);
      if (fd < 0) return make_error("cannot create a file for schedtrace in /tmp");
      close(fd);
      trace_path = tmpl;
    }
    const char* godebug = getenv("GODEBUG");
    std::string st = fmt::format("schedtrace={}", kSchedtraceMs);
    env.push_back(godebug && *godebug ? fmt::format("GODEBUG={},{}", godebug, st) : "GODEBUG=" + st);
  }
  auto traced = session::open_traced("sched", o, env, trace_path);
  if (!traced) return traced.error();
  probe::Target& t = *traced->target;

  if (o.deep) {
    // The price first: two hits per schedule round, at this machine's cost per hit.
    auto find = probe::resolve_probe_point(traced->bin, "runtime.findRunnable");
    auto exec = probe::resolve_probe_point(traced->bin, "runtime.execute");
    if (!find) return find.error();
    if (!exec) return exec.error();
    auto cost = [&](const probe::ProbePoint& p) {
      return p.entry_emulated ? traced->cost.ns_per_push_hit : traced->cost.ns_per_hit;
    };
    double per_round_ns = cost(*find) + cost(*exec);
    std::string rate = "the rounds per second of a command are known only once it runs";
    if (!t.launched()) {
      if (auto r = rounds_per_second(t.pid(), std::chrono::milliseconds(200))) {
        // p.schedtick skips rounds that inherit the time slice (runnext): a lower bound.
        rate = fmt::format("at the {:.0f} rounds/s p.schedtick counts now (at least: rounds "
                           "that inherit a time slice are not counted) that is at least {:.1f}% "
                           "of one CPU",
                           *r, *r * per_round_ns / 1e7);
      }
    }
    progress(fmt::format("--deep: uprobes on runtime.findRunnable and runtime.execute cost "
                         "{:.1f} us per schedule round here ({}); {}",
                         per_round_ns / 1e3,
                         find->entry_emulated && exec->entry_emulated
                             ? "emulated entries"
                             : "single-stepped entries: this Go version's prologue",
                         rate));
  }

  auto probes = SchedProbes::attach(traced->bin, t.pid(), o.deep);
  if (!probes) return probes.error();
  if (!t.alive()) return make_error("PID {} exited during attach", t.pid());
  progress(fmt::format("tracing the scheduler of PID {} ({}), snapshots at {} Hz; {}", t.pid(),
                       traced->bin.build().go_version, o.rate_hz,
                       session::how_it_stops(o)));

  Sampler sampler(t.pid(), o.rate_hz);
  SchedLive live(**probes, t.pid(), o, o.rate_hz);  // -i: a line per interval
  auto session = session::run_session(t, o.duration_s, live.ticker());
  const SampleSummary& sum = sampler.stop();
  if (!session) return session.error();
  auto counts = (*probes)->read();
  if (!counts) return counts.error();
  live.finish(*counts, session->elapsed_s);
  probes->reset();  // detach: the target runs unprobed from here
  session::end_session(*traced, *session);

  report::Report r = session::begin_report("EXP-01", *traced, *session);
  double duration = session->elapsed_s;
  r.lost_events = counts->lost_threads + counts->lost_stacks;

  // --- Ps, from the snapshots ---------------------------------------------------------
  std::optional<double> idle_frac, queued_avg, mutex_avg;
  if (sum.samples == 0) {
    r.degraded.push_back({"snapshots", sum.snapshots_missing});
  } else {
    report::Table ps{fmt::format("Ps ({} snapshots at {} Hz; run queue = local queue + runnext)",
                                 sum.samples, o.rate_hz),
                     {"P", "runq avg", "runq max", "idle", "running", "syscall", "gcstop",
                      "rounds/s"},
                     {}};
    nlohmann::ordered_json jps = nlohmann::ordered_json::array();
    double idle_total = 0;
    for (const auto& [id, p] : sum.ps) {
      uint64_t n = 0;
      for (uint64_t c : p.status) n += c;
      using snapshot::PStatus;
      double idle = frac(p.status[uint32_t(PStatus::kIdle)], n);
      double running = frac(p.status[uint32_t(PStatus::kRunning)], n);
      double syscall = frac(p.status[uint32_t(PStatus::kSyscall)], n);
      double gcstop = frac(p.status[uint32_t(PStatus::kGcStop)], n);
      double runq_avg = frac(p.runq_sum, p.samples);
      double rounds = duration > 0 ? static_cast<double>(p.schedticks) / duration : 0;
      idle_total += idle;
      jps.push_back({{"id", id},
                     {"runq_avg", runq_avg},
                     {"runq_max", p.runq_max},
                     {"idle_frac", idle},
                     {"running_frac", running},
                     {"syscall_frac", syscall},
                     {"gcstop_frac", gcstop},
                     {"schedticks", p.schedticks}});
      ps.rows.push_back({std::to_string(id), fmt::format("{:.2f}", runq_avg),
                         std::to_string(p.runq_max), pct(idle), pct(running), pct(syscall),
                         pct(gcstop), fmt::format("{:.0f}", rounds)});
    }
    r.data["ps"] = std::move(jps);
    r.data["global_runq"] = {{"avg", frac(sum.global_sum, sum.samples)}, {"max", sum.global_max}};
    r.data["idle_ps_avg"] = frac(sum.npidle_sum, sum.samples);
    r.data["spinning_ms_avg"] = frac(sum.nmspinning_sum, sum.samples);
    r.data["queued_avg"] = frac(sum.queued_sum, sum.samples);
    r.data["snapshots"] = {{"samples", sum.samples},
                           {"late", sum.late},
                           {"torn", sum.torn},
                           {"rate_hz", o.rate_hz},
                           {"avg_read_us", frac(sum.read_ns, sum.samples) / 1e3}};
    // Over time, each point the average of `per_point` snapshots (series in sampler.h).
    const auto& points = sum.series.points();
    nlohmann::ordered_json t = nlohmann::ordered_json::array(), idle = t, queued = t, global = t,
                           spinning = t;
    for (const SeriesPoint& pt : points) {
      t.push_back(static_cast<double>(pt.mono_ns - points.front().mono_ns) / 1e9);
      idle.push_back(pt.idle_ps);
      queued.push_back(pt.queued);
      global.push_back(pt.global_runq);
      spinning.push_back(pt.spinning_ms);
    }
    r.data["series"] = {{"start_mono_ns", points.empty() ? 0 : points.front().mono_ns},
                        {"snapshots_per_point", points.empty() ? 0 : points.front().samples},
                        {"t_s", std::move(t)},
                        {"idle_ps", std::move(idle)},
                        {"queued", std::move(queued)},
                        {"global_runq", std::move(global)},
                        {"spinning_ms", std::move(spinning)}};
    r.tables.push_back(std::move(ps));
    add_timeline(sum, r.timeline);  // --perfetto
    r.notes.push_back(fmt::format(
        "global run queue: {:.2f} avg, {} max; idle Ps {:.2f} avg, spinning Ms {:.2f} avg; "
        "snapshots read in {:.0f} us each by gri, nothing runs in the target",
        frac(sum.global_sum, sum.samples), sum.global_max, frac(sum.npidle_sum, sum.samples),
        frac(sum.nmspinning_sum, sum.samples), frac(sum.read_ns, sum.samples) / 1e3));
    if (!sum.ps.empty()) idle_frac = idle_total / static_cast<double>(sum.ps.size());
    queued_avg = frac(sum.queued_sum, sum.samples);
  }
  if (sum.census_samples == 0) {
    r.degraded.push_back({"goroutine census", sum.census_missing.empty() ? sum.snapshots_missing
                                                                         : sum.census_missing});
  } else {
    mutex_avg = frac(sum.mutex_waiting_sum, sum.census_samples);
    r.data["goroutines"] = {{"samples", sum.census_samples},
                            {"runnable_avg", frac(sum.runnable_sum, sum.census_samples)},
                            {"mutex_waiting_avg", *mutex_avg},
                            {"mutex_waiting_max", sum.mutex_waiting_max},
                            {"mutex_wait_s", *mutex_avg * duration},
                            {"mutex_reasons", sum.mutex_reasons}};
    r.notes.push_back(fmt::format("goroutines parked on sync mutexes (wait reasons {}): {:.2f} "
                                  "avg, {} max",
                                  fmt::join(sum.mutex_reasons, ", "), *mutex_avg,
                                  sum.mutex_waiting_max));
  }

  // --- threads, from the tracepoints -----------------------------------------------------
  ThreadTimes total;
  for (const ThreadTimes& th : counts->threads) {
    total.on_cpu_ns += th.on_cpu_ns;
    total.runq_ns += th.runq_ns;
    total.off_cpu_ns += th.off_cpu_ns;
    total.switches += th.switches;
  }
  // Stacks hold run-time addresses: the PIE load bias comes from the process's maps, read by
  // the sampler while it ran.
  std::map<std::pair<BlockKind, std::string>, BlockedRow> rows;
  uint64_t load_bias = sum.load_bias.value_or(0);
  if (traced->bin.elf().is_pie() && !sum.load_bias) {
    r.degraded.push_back({"blocked stacks", "the PIE load bias could not be read while the "
                                            "process ran: functions are unresolved"});
  }
  for (const BlockedStack& b : counts->blocked) {
    BlockReason why = classify_blocked_stack(traced->bin.pclntab(), b.frames, load_bias);
    BlockedRow& row = rows[{why.kind, why.where}];
    row.kind = why.kind;
    row.where = why.where;
    row.ns += b.ns;
    row.count += b.count;
  }
  r.profile = blocked_profile(traced->bin.path(), traced->bin.pclntab(), counts->blocked,
                              load_bias, duration);
  std::vector<BlockedRow> sorted;
  for (auto& [k, row] : rows) sorted.push_back(row);
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.ns > b.ns; });
  uint64_t runtime_lock_ns = 0, sync_ns = 0;
  report::Table blocked{"threads blocked, by the Go function they blocked in (thread-s)",
                        {"reason", "function", "blocked s", "times"},
                        {}};
  nlohmann::ordered_json jblocked = nlohmann::ordered_json::array();
  for (const BlockedRow& row : sorted) {
    if (row.kind == BlockKind::kRuntimeLock) runtime_lock_ns += row.ns;
    if (row.kind == BlockKind::kSyncMutex) sync_ns += row.ns;
    jblocked.push_back({{"kind", block_kind_name(row.kind)},
                        {"function", row.where},
                        {"s", secs(row.ns)},
                        {"count", row.count}});
    if (blocked.rows.size() < 12) {
      blocked.rows.push_back({std::string(block_kind_name(row.kind)), row.where,
                              fmt::format("{:.3f}", secs(row.ns)), std::to_string(row.count)});
    }
  }
  VerdictInputs in;
  in.duration_s = duration;
  in.gomaxprocs = session->gomaxprocs.value_or(0);
  in.idle_frac = idle_frac;
  in.queued_avg = queued_avg;
  in.mutex_waiters_avg = mutex_avg;
  in.snapshots_missing = sum.snapshots_missing;
  in.census_missing = sum.census_missing.empty() ? sum.snapshots_missing : sum.census_missing;
  in.runtime_lock_s = secs(runtime_lock_ns + sync_ns);
  Verdicts v = decide(in);

  r.data["threads"] = {{"count", counts->threads.size()},
                       {"on_cpu_s", secs(total.on_cpu_ns)},
                       {"runq_wait_s", secs(total.runq_ns)},
                       {"off_cpu_s", secs(total.off_cpu_ns)},
                       {"lock_wait_s", v.lock_wait_s},
                       {"runtime_lock_wait_s", secs(runtime_lock_ns + sync_ns)},
                       {"switches", total.switches},
                       {"blocked", std::move(jblocked)}};
  r.data["cpu_wait_s"] = v.cpu_wait_s;
  r.tables.push_back(std::move(blocked));
  r.notes.push_back(fmt::format(
      "{} threads: {:.2f} s on a CPU, {:.2f} s runnable waiting for a CPU, {:.2f} s blocked; "
      "lock wait {:.2f} s (goroutines on sync mutexes + threads in runtime locks)",
      counts->threads.size(), secs(total.on_cpu_ns), secs(total.runq_ns), secs(total.off_cpu_ns),
      v.lock_wait_s));
  if (counts->lost_stacks) {
    r.notes.push_back(fmt::format("{} switch-outs without a user stack (counted as unknown)",
                                  counts->lost_stacks));
  }

  // --- --deep: schedule rounds ------------------------------------------------------------
  uint64_t emulated = 0, stepped = 0;
  if (o.deep) {
    for (const DeepPoint& p : counts->deep_points) (p.emulated ? emulated : stepped) += p.hits;
    bool has_global = std::any_of(counts->deep_points.begin(), counts->deep_points.end(),
                                  [](const DeepPoint& p) { return p.function.starts_with("runtime.globrunqget"); });
    for (const std::string& m : counts->deep_missing) {
      // A binary has globrunqget (<= 1.24) or globrunqgetbatch (1.25+): one missing is normal.
      if (m.starts_with("runtime.globrunqget") && has_global) continue;
      r.degraded.push_back({"--deep sources", m});
    }
    report::Table rt{"schedule rounds per P (--deep: findRunnable -> execute)",
                     {"P", "rounds", "find us avg", "local", "global", "netpoll", "steal"},
                     {}};
    nlohmann::ordered_json jr = nlohmann::ordered_json::array();
    std::vector<PRounds> pr = counts->p_rounds;
    std::sort(pr.begin(), pr.end(), [](const auto& a, const auto& b) { return a.p < b.p; });
    for (const PRounds& p : pr) {
      double find_us = frac(p.find_ns, p.found_rounds) / 1e3;
      nlohmann::ordered_json src;
      for (size_t i = 0; i < kSourceNames.size(); ++i) src[kSourceNames[i]] = p.source[i];
      jr.push_back({{"id", p.p},
                    {"rounds", p.rounds},
                    {"found_rounds", p.found_rounds},
                    {"find_us_avg", find_us},
                    {"find_s", secs(p.find_ns)},
                    {"sources", std::move(src)}});
      rt.rows.push_back({p.p < 0 ? "none" : std::to_string(p.p), std::to_string(p.rounds),
                         fmt::format("{:.1f}", find_us), std::to_string(p.source[0]),
                         std::to_string(p.source[1]), std::to_string(p.source[2]),
                         std::to_string(p.source[3])});
    }
    nlohmann::ordered_json jhits;
    for (const DeepPoint& p : counts->deep_points) jhits[p.function] = p.hits;
    r.data["deep"] = {{"ps", std::move(jr)}, {"probe_hits", std::move(jhits)}};
    r.tables.push_back(std::move(rt));
    r.notes.push_back(
        "find time: findRunnable entry to execute entry, sleeps in stopm included; sources: "
        "the last of globrunqget/globrunqgetbatch (global), injectglist (netpoll), runqsteal "
        "(steal) entered in the round, else local; on go1.25+ the 1-in-61 fairness take from "
        "the global queue is inlined and counts as local");
  }
  r.overhead = session::overhead(traced->cost, emulated, stepped);
  r.verdicts.push_back(v.cpu);
  r.verdicts.push_back(v.lock);

  if (o.crosscheck) {
    std::string text = read_text_file(trace_path).value_or("");
    if (o.schedtrace_log.empty()) {
      std::remove(trace_path.c_str());
      std::fputs(text.c_str(), stderr);  // the command's own stderr, passed through
    }
    std::vector<SchedtraceLine> lines = parse_schedtrace(text);
    int64_t st_global_max = 0, st_local_max = 0, st_queued_sum = 0;
    for (const SchedtraceLine& l : lines) {
      st_global_max = std::max(st_global_max, l.global_runq);
      st_queued_sum += l.global_runq;
      for (int64_t q : l.local_runq) {
        st_local_max = std::max(st_local_max, q);
        st_queued_sum += q;
      }
    }
    uint32_t gri_local_max = 0;
    double gri_queued_mean = sum.samples ? static_cast<double>(sum.global_sum) / sum.samples : 0;
    for (const auto& [id, p] : sum.ps) {
      gri_local_max = std::max(gri_local_max, p.runq_max);
      if (p.samples) gri_queued_mean += static_cast<double>(p.runq_only_sum) / p.samples;
    }
    // Both measure goroutines queued for a P over time, the same way (schedtrace's runqsize
    // leaves runnext out: Go 1.26 src/runtime/proc.go schedtrace), at different instants and
    // rates (every 100 ms vs gri's snapshots). Their maxima are extremes that the faster
    // sampler sees more of (measured: a lock-bound run, schedtrace max 0, gri max 1 with
    // runnext), so they are compared by their means, queued meaning at least 0.5 (as the
    // CPU-saturation verdict has it).
    double st_queued_mean = lines.empty() ? 0 : static_cast<double>(st_queued_sum) / lines.size();
    bool st_queued = st_queued_mean >= kQueuedMin;
    bool gri_queued = gri_queued_mean >= kQueuedMin;
    r.data["crosscheck"] = {{"schedtrace_lines", lines.size()},
                            {"schedtrace_global_max", st_global_max},
                            {"schedtrace_local_max", st_local_max},
                            {"schedtrace_queued_mean", st_queued_mean},
                            {"gri_global_max", sum.global_max},
                            {"gri_local_max", gri_local_max},
                            {"gri_queued_mean", gri_queued_mean}};
    report::Verdict c{"EXP-01.crosscheck",
                      "gri's snapshots see queued goroutines where GODEBUG=schedtrace does", "", ""};
    if (lines.empty() || sum.samples == 0) {
      c.result = "inconclusive";
      c.evidence = lines.empty() ? "no schedtrace line in the command's stderr"
                                 : "no snapshots: " + sum.snapshots_missing;
    } else {
      // Near the threshold the two samplers fall either side of it by chance (the lab's lock
      // mode, once each on go1.19, 1.22, 1.25, 1.26, 1.27: e.g. schedtrace 0.51, gri 0.30):
      // means closer than the threshold itself agree too.
      bool close = std::abs(st_queued_mean - gri_queued_mean) < kQueuedMin;
      c.result = st_queued == gri_queued || close ? "verified" : "refuted";
      c.evidence = fmt::format(
          "goroutines queued for a P, mean (runnext left out, as schedtrace does; queued: at "
          "least {}; means closer than that agree): schedtrace {:.2f} over {} lines, gri {:.2f} "
          "over {} snapshots; maxima: schedtrace global {}, local {}; gri global {}, local {} "
          "(runnext included)",
          kQueuedMin, st_queued_mean, lines.size(), gri_queued_mean, sum.samples, st_global_max,
          st_local_max, sum.global_max, gri_local_max);
    }
    r.verdicts.push_back(std::move(c));
  }
  return r;
}

}  // namespace gri::exp::sched
