#include "exp/timers/experiment.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stop_token>
#include <thread>

#include <fmt/format.h>

#include "exp/timers/heap.h"
#include "exp/timers/live.h"
#include "exp/timers/probes.h"
#include "goelf/runtime_layout.h"
#include "probe/process_image.h"
#include "session/session.h"
#include "snapshot/snapshot.h"

namespace gri::exp::timers {

std::string timer_owner(std::string_view f) {
  if (f.empty()) return "";
  // time.Sleep's timer runs runtime.goroutineReady (go1.19-1.27 runtime/time.go timeSleep);
  // a conn's read and write deadlines run runtime.netpollReadDeadline and co.
  // (netpoll.go): the program's timers, in the runtime's code.
  if (f == "runtime.goroutineReady" || f.starts_with("runtime.netpoll")) return "program";
  if (f.starts_with("runtime.") || f.starts_with("internal/")) return "runtime";
  return "program";
}

namespace {

// The heaps, read every interval while the session runs; the last complete read is kept
// (a launched command's memory is gone once it exits).
class HeapWatcher {
 public:
  HeapWatcher(pid_t pid, uint64_t allp_link, HeapLayout layout, double interval_s)
      : mem_(pid), pid_(pid), allp_link_(allp_link), layout_(layout) {
    thread_ = std::jthread([this, interval_s](std::stop_token stop) {
      auto step = std::chrono::milliseconds(20);
      while (!stop.stop_requested()) {
        read_once();
        auto until = std::chrono::steady_clock::now() +
                     std::chrono::milliseconds(static_cast<int64_t>(interval_s * 1000));
        while (!stop.stop_requested() && std::chrono::steady_clock::now() < until) {
          std::this_thread::sleep_for(step);
        }
      }
    });
  }
  void stop() {
    if (thread_.joinable()) {
      thread_.request_stop();
      thread_.join();
    }
    read_once();  // the state at the end, while a -d run's target still runs
  }
  std::optional<std::vector<PHeap>> last() const {
    std::lock_guard lock(mu_);
    return last_;
  }
  uint64_t reads() const { return reads_; }
  std::string error() const {
    std::lock_guard lock(mu_);
    return error_;
  }

 private:
  void read_once() {
    if (!bias_) {
      auto image = probe::open_process_image(pid_);
      if (!image) return;
      bias_ = image->load_bias;
    }
    auto heaps = read_heaps(mem_, allp_link_ + *bias_, layout_);
    std::lock_guard lock(mu_);
    if (!heaps) {
      error_ = heaps.error().message;
      return;
    }
    reads_++;
    last_ = std::move(*heaps);
  }

  snapshot::ProcessMemory mem_;
  pid_t pid_;
  uint64_t allp_link_;
  HeapLayout layout_;
  std::optional<uint64_t> bias_;
  mutable std::mutex mu_;
  std::optional<std::vector<PHeap>> last_;
  std::string error_;
  uint64_t reads_ = 0;
  std::jthread thread_;
};

struct OpCounts {
  std::array<uint64_t, kOps> n{};
  uint64_t total() const { return n[0] + n[1] + n[2] + n[3]; }
  nlohmann::ordered_json json() const {
    nlohmann::ordered_json j;
    for (int i = 0; i < kOps; i++) j[op_name(static_cast<Op>(i))] = n[i];
    j["total"] = total();
    return j;
  }
};

// Quantile q of a bucketed histogram: the middle of the bucket that holds it, in us.
double quantile_us(const std::map<uint32_t, uint64_t>& hist, uint64_t total, double q) {
  if (!total) return 0;
  uint64_t want = static_cast<uint64_t>(std::ceil(q * static_cast<double>(total))), seen = 0;
  for (const auto& [b, n] : hist) {
    seen += n;
    if (seen >= std::max<uint64_t>(want, 1)) {
      auto [lo, width] = late_bucket_range(b);
      return (static_cast<double>(lo) + static_cast<double>(width) / 2) / 1e3;
    }
  }
  return 0;
}

}  // namespace

Result<report::Report> run_timers(const TimersOptions& o,
                                  const std::function<void(const std::string&)>& progress) {
  if (!(o.heap_interval_s >= 0.05 && o.heap_interval_s <= 3600)) {
    return make_usage_error("--heap-interval {} is not between 0.05 and 3600 seconds",
                            o.heap_interval_s);
  }
  auto traced = session::open_traced("timers", o);
  if (!traced) return traced.error();
  probe::Target& t = *traced->target;
  goelf::RuntimeLayout layout = goelf::resolve_layout(traced->bin);
  auto hl = heap_layout(layout);
  auto allp = layout.address("runtime.allp");
  const bool count_ops = o.ops || o.locks;  // the locks verdict weighs waits against operations
  auto probes = TimersProbes::attach(traced->bin, t.pid(), count_ops, o.locks, o.netpoll);
  if (!probes) return probes.error();
  if (o.locks) {
    bool emulated = (*probes)->attach_info().lock_emulated;
    progress(fmt::format(
        "--locks probes runtime.lock2 ({}): every runtime lock the target takes, timers' or "
        "not, will cost it about {:.1f} us more (measured here)",
        emulated ? "on an emulated instruction" : "single-stepped",
        (emulated ? traced->cost.ns_per_push_hit : traced->cost.ns_per_hit) / 1e3));
  }
  std::unique_ptr<HeapWatcher> watcher;
  if (hl && allp) watcher = std::make_unique<HeapWatcher>(t.pid(), *allp, *hl, o.heap_interval_s);
  if (!t.alive()) return make_error("PID {} exited during attach", t.pid());
  const TimersAttach info = (*probes)->attach_info();
  progress(fmt::format("tracing the timers of PID {} ({}, {} design: {}, {}, {}, {}); {}", t.pid(),
                       traced->bin.build().go_version,
                       info.functions.rewrite ? "1.23" : "pre-1.23", info.functions.add,
                       info.functions.modify, info.functions.remove, info.functions.run,
                       session::how_it_stops(o)));
  TimersLive live(**probes, o);  // -i: a line per interval
  auto session = session::run_session(t, o.duration_s, live.ticker());
  if (!session) return session.error();
  auto counts = (*probes)->read();
  if (!counts) return counts.error();
  live.finish(*counts, session->elapsed_s);
  probes->reset();
  if (watcher) watcher->stop();
  session::end_session(*traced, *session);

  report::Report r = session::begin_report("EXP-08", *traced, *session);
  const TimersCounts& c = *counts;
  r.lost_events = c.lost;
  uint64_t bias = session->load_bias.value_or(0);
  const auto& pcln = traced->bin.pclntab();
  auto name_of = [&](uint64_t pc) -> std::string {
    if (!pc || pc < bias) return "";
    const goelf::PclnFunction* fn = pcln.at(pc - bias);
    return fn ? fn->name : "";
  };
  r.data["design"] = info.functions.rewrite ? "1.23" : "pre-1.23";
  r.data["functions"] = {{"add", info.functions.add}, {"modify", info.functions.modify},
                         {"delete", info.functions.remove}, {"run", info.functions.run}};

  // --- operations -------------------------------------------------------------------------
  OpCounts program, runtime_own, unnamed;
  std::map<int32_t, OpCounts> per_p;
  std::map<std::string, OpCounts> per_function;
  uint64_t hits = 0;
  for (const auto& [key, n] : c.ops) {
    auto [op, p, fpc] = key;
    std::string fn = name_of(fpc);
    std::string owner = timer_owner(fn);
    hits += n;
    OpCounts& bucket = owner == "program" ? program : owner == "runtime" ? runtime_own : unnamed;
    bucket.n[op] += n;
    if (owner == "program") per_p[p].n[op] += n;
    per_function[fn.empty() ? "(unknown)" : fn].n[op] += n;
  }
  for (const auto& [ret, n] : c.breaks) hits += n;
  nlohmann::ordered_json ops = program.json();
  ops["runtime"] = runtime_own.json();
  if (unnamed.total()) ops["unnamed"] = unnamed.json();
  nlohmann::ordered_json per_p_json = nlohmann::ordered_json::array();
  report::Table opt{"timer operations on the program's timers, by the P they ran on (runs: the P "
                    "that ran the timer)",
                    {"P", "add", "modify", "delete", "run"},
                    {}};
  for (const auto& [p, oc] : per_p) {
    auto j = oc.json();
    j.erase("total");
    nlohmann::ordered_json row = {{"p", p}};
    row.update(j);
    per_p_json.push_back(row);
    opt.rows.push_back({p < 0 ? "none" : std::to_string(p), std::to_string(oc.n[0]),
                        std::to_string(oc.n[1]), std::to_string(oc.n[2]), std::to_string(oc.n[3])});
  }
  opt.rows.push_back({"all", std::to_string(program.n[0]), std::to_string(program.n[1]),
                      std::to_string(program.n[2]), std::to_string(program.n[3])});
  opt.rows.push_back({"runtime's own", std::to_string(runtime_own.n[0]),
                      std::to_string(runtime_own.n[1]), std::to_string(runtime_own.n[2]),
                      std::to_string(runtime_own.n[3])});
  ops["per_p"] = std::move(per_p_json);
  nlohmann::ordered_json by_fn = nlohmann::ordered_json::array();
  for (const auto& [fn, oc] : per_function) {
    nlohmann::ordered_json row = {{"function", fn}, {"owner", timer_owner(fn == "(unknown)" ? "" : fn)}};
    row.update(oc.json());
    by_fn.push_back(row);
  }
  ops["functions"] = std::move(by_fn);
  ops["add_modify_delete_counted"] = count_ops;
  r.data["ops"] = std::move(ops);
  if (!count_ops) {
    // The table's add, modify and delete columns are 0: not counted, not none.
    for (auto& row : opt.rows) {
      for (size_t col = 1; col <= 3; col++) row[col] = "-";
    }
    r.degraded.push_back(
        {"ops.add_modify_delete",
         "not counted: --ops puts a probe on each add, modify and delete, a hit per timer "
         "operation (+9% on a program running 48,000 timers a second, go1.26); runs are counted"});
  }
  r.tables.push_back(std::move(opt));
  r.notes.push_back(fmt::format(
      "ops are calls of {} (add), {} (modify), {} (delete) and {} (run){}",
      info.functions.add, info.functions.modify, info.functions.remove, info.functions.run,
      info.functions.rewrite
          ? "; from 1.23 every new timer and every Reset and Sleep is a modify, and add counts "
            "the timers put into a heap (a channel timer only while a goroutine blocks on it)"
          : "; time.Sleep and Reset are modifies, AfterFunc and NewTimer adds"));

  // --- who runs whose timers --------------------------------------------------------------
  std::set<int32_t> ps;
  std::map<std::pair<int32_t, int32_t>, uint64_t> matrix;
  uint64_t own = 0, taken = 0, no_heap = 0;
  for (const auto& [key, n] : c.runs) {
    auto [runner, owner, fpc] = key;
    ps.insert(runner);
    ps.insert(owner);
    matrix[{runner, owner}] += n;
    if (owner < 0) no_heap += n;
    else if (owner == runner) own += n;
    else taken += n;
  }
  nlohmann::ordered_json rm;
  rm["ps"] = std::vector<int32_t>(ps.begin(), ps.end());
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  report::Table mt{"timers run: runner P (rows) x the P whose heap held the timer (columns; -1: "
                   "none, a channel timer run by its reader)",
                   {"runner"},
                   {}};
  for (int32_t owner : ps) mt.columns.push_back(std::to_string(owner));
  for (int32_t runner : ps) {
    std::vector<uint64_t> row;
    std::vector<std::string> cells = {std::to_string(runner)};
    for (int32_t owner : ps) {
      auto it = matrix.find({runner, owner});
      row.push_back(it == matrix.end() ? 0 : it->second);
      cells.push_back(std::to_string(row.back()));
    }
    rows.push_back(row);
    mt.rows.push_back(std::move(cells));
  }
  rm["rows"] = std::move(rows);
  rm["own"] = own;
  rm["taken_over"] = taken;
  rm["no_heap"] = no_heap;
  r.data["run_matrix"] = std::move(rm);
  if (!ps.empty()) r.tables.push_back(std::move(mt));

  // --- lateness (program's timers) --------------------------------------------------------
  std::map<uint32_t, uint64_t> hist;
  uint64_t late_n = 0;
  uint32_t max_bucket = 0;
  for (const auto& [key, n] : c.late) {
    if (timer_owner(name_of(key.first)) != "program") continue;
    hist[key.second] += n;
    late_n += n;
    max_bucket = std::max(max_bucket, key.second);
  }
  // Per timer function too (all owners): time.goFunc's are AfterFunc callbacks, whose
  // lateness the workload's own clock measures from before the call (so never less).
  std::map<std::string, std::map<uint32_t, uint64_t>> by_fn_hist;
  for (const auto& [key, n] : c.late) {
    std::string fn = name_of(key.first);
    by_fn_hist[fn.empty() ? "(unknown)" : fn][key.second] += n;
  }
  nlohmann::ordered_json lat_fn = nlohmann::ordered_json::array();
  for (const auto& [fn, h] : by_fn_hist) {
    uint64_t n = 0;
    for (const auto& [b, k] : h) n += k;
    auto [lo, width] = late_bucket_range(h.rbegin()->first);
    lat_fn.push_back({{"function", fn},
                      {"samples", n},
                      {"p50", quantile_us(h, n, 0.50)},
                      {"p99", quantile_us(h, n, 0.99)},
                      {"max_from", static_cast<double>(lo) / 1e3},
                      {"max", static_cast<double>(lo + width) / 1e3}});
  }
  nlohmann::ordered_json lat;
  lat["samples"] = late_n;
  lat["p50"] = quantile_us(hist, late_n, 0.50);
  lat["p99"] = quantile_us(hist, late_n, 0.99);
  {
    auto [lo, width] = late_bucket_range(max_bucket);
    lat["max"] = late_n ? static_cast<double>(lo + width) / 1e3 : 0.0;
  }
  nlohmann::ordered_json hj = nlohmann::ordered_json::array();
  for (const auto& [b, n] : hist) {
    auto [lo, width] = late_bucket_range(b);
    hj.push_back({{"from_us", static_cast<double>(lo) / 1e3},
                  {"to_us", static_cast<double>(lo + width) / 1e3},
                  {"count", n}});
  }
  lat["histogram"] = std::move(hj);
  lat["by_function"] = std::move(lat_fn);
  r.notes.push_back(fmt::format(
      "lateness of the program's timers (now - when as {} starts, 12.5% buckets): p50 {:.1f} "
      "us, p99 {:.1f} us, max under {:.1f} us, {} timers",
      info.functions.run, lat["p50"].get<double>(), lat["p99"].get<double>(),
      lat["max"].get<double>(), late_n));
  r.data["lateness_us"] = std::move(lat);

  // --- heaps --------------------------------------------------------------------------------
  nlohmann::ordered_json heaps = nlohmann::ordered_json::array();
  uint64_t largest = 0, ordered4 = 0, read_heaps_n = 0, torn = 0, broken = 0;
  std::vector<int> largest_arities;
  if (!hl) {
    r.degraded.push_back({"timer heaps", hl.error().message});
  } else if (!allp) {
    r.degraded.push_back({"timer heaps", "runtime.allp not found"});
  } else if (auto last = watcher->last(); !last) {
    r.degraded.push_back({"timer heaps", fmt::format("never read: {}", watcher->error())});
  } else {
    report::Table ht{"timer heaps per P, read from memory (whens in the heap array)",
                     {"P", "timers", "waiting", "arities that order it", "4-ary violations"},
                     {}};
    for (const PHeap& h : *last) {
      HeapShape s = heap_shape(h.whens);
      read_heaps_n++;
      torn += h.torn;
      bool ok = s.violations4 == 0;
      if (!h.torn) {
        ordered4 += ok;
        broken += !ok;
      }
      if (!h.torn && h.whens.size() > largest) {
        largest = h.whens.size();
        largest_arities = s.arities;
      }
      int arity = h.whens.size() < 2 ? 0
                  : std::find(s.arities.begin(), s.arities.end(), 4) != s.arities.end() &&
                          s.arities.size() == 1
                      ? 4
                      : 0;
      heaps.push_back({{"p", h.p},
                       {"timers", h.timers},
                       {"waiting", h.waiting},
                       {"next_when_ns", h.next_when},
                       {"next_modified_ns", h.next_modified},
                       {"arity", arity ? nlohmann::ordered_json(arity) : nullptr},
                       {"arities", s.arities},
                       {"ordered", ok},
                       {"violations", s.violations4},
                       {"torn", h.torn}});
      ht.rows.push_back({std::to_string(h.p), std::to_string(h.timers), std::to_string(h.waiting),
                         fmt::format("{}", fmt::join(s.arities, ",")),
                         std::to_string(s.violations4) + (h.torn ? " (torn)" : "")});
    }
    r.tables.push_back(std::move(ht));
  }
  r.data["heap"] = std::move(heaps);

  // --- netpoll ------------------------------------------------------------------------------
  uint64_t timer_wakeups = 0, breaks = 0;
  for (const auto& [ret, n] : c.breaks) {
    breaks += n;
    if (!ret || ret <= bias) continue;
    for (const goelf::SourceFrame& f : pcln.frames(ret - 1 - bias)) {
      if (f.func == "runtime.wakeNetPoller") {
        timer_wakeups += n;
        break;
      }
    }
  }
  bool polls_seen = info.netpoll_unavailable.empty();
  nlohmann::ordered_json np = {{"available", polls_seen},
                               {"blocks", c.polls},
                               {"blocked_s", static_cast<double>(c.poll_ns) / 1e9},
                               {"woke_at_timeout", c.poll_timed_out},
                               {"without_timeout", c.poll_forever},
                               // woken before the timeout: an fd ready or a netpollBreak
                               {"woke_early", c.polls - c.poll_timed_out - c.poll_forever},
                               {"breaks", breaks},
                               {"timer_wakeups", timer_wakeups}};
  if (!polls_seen) {
    np["reason"] = info.netpoll_unavailable;
    for (const char* k : {"blocks", "blocked_s", "woke_at_timeout", "without_timeout", "woke_early"}) {
      np[k] = nullptr;
    }
    r.notes.push_back(fmt::format(
        "netpoll: netpollBreak {} times, {} from wakeNetPoller (a timer due earlier than the "
        "poller's wake-up); the epoll waits themselves: {}",
        breaks, timer_wakeups, info.netpoll_unavailable));
  } else {
    r.notes.push_back(fmt::format(
        "netpoll: {} blocking epoll waits, {:.3f} s blocked; {} ended at their timeout (the "
        "next timer), {} had no timeout; netpollBreak {} times, {} from wakeNetPoller (a timer "
        "due earlier than the poller's wake-up)",
        c.polls, static_cast<double>(c.poll_ns) / 1e9, c.poll_timed_out, c.poll_forever, breaks,
        timer_wakeups));
  }
  r.data["netpoll"] = std::move(np);
  // --- timer locks ------------------------------------------------------------------------
  LockCounts lock_total;
  if (info.locks) {
    nlohmann::ordered_json per_p_locks = nlohmann::ordered_json::array();
    report::Table lt{"timers locks (runtime.lock2 on each P's timers lock; waited: found held; "
                     "asleep: futex waits until the thread's next lock2)",
                     {"P", "acquisitions", "waits", "asleep", "asleep ms"},
                     {}};
    for (const auto& [p, l] : c.locks) {
      lock_total.acquisitions += l.acquisitions;
      lock_total.waits += l.waits;
      lock_total.sleeps += l.sleeps;
      lock_total.sleep_ns += l.sleep_ns;
      per_p_locks.push_back({{"p", p},
                             {"acquisitions", l.acquisitions},
                             {"waits", l.waits},
                             {"sleeps", l.sleeps},
                             {"wait_s", static_cast<double>(l.sleep_ns) / 1e9}});
      lt.rows.push_back({std::to_string(p), std::to_string(l.acquisitions), std::to_string(l.waits),
                         std::to_string(l.sleeps),
                         fmt::format("{:.3f}", static_cast<double>(l.sleep_ns) / 1e6)});
    }
    r.data["locks"] = {{"available", true},
                       {"acquisitions", lock_total.acquisitions},
                       {"waits", lock_total.waits},
                       {"sleeps", lock_total.sleeps},
                       {"wait_s", static_cast<double>(lock_total.sleep_ns) / 1e9},
                       {"lock2_calls", c.lock_hits},
                       {"per_p", std::move(per_p_locks)}};
    r.tables.push_back(std::move(lt));
    r.notes.push_back(
        "wait_s is the time waiters slept in the kernel (futex); the spinning and yielding "
        "before it (lock2's first tries) is not timed");
  } else {
    r.data["locks"] = {{"available", false},
                       {"reason", "needs --locks (a probe on runtime.lock2, which every runtime "
                                  "lock calls: its cost is printed first)"}};
  }
  uint64_t lock_hits = info.locks ? c.lock_hits : 0;
  bool lock_emulated = info.lock_emulated;
  r.overhead = session::overhead(
      traced->cost, (info.entries_emulated ? hits : 0) + (lock_emulated ? lock_hits : 0),
      (info.entries_emulated ? 0 : hits) + (lock_emulated ? 0 : lock_hits));

  // --- verdicts -----------------------------------------------------------------------------
  {
    report::Verdict v{"EXP-08.heap", "Go's timers are per-P 4-ary min-heaps, not a timing wheel",
                      "inconclusive", ""};
    if (broken) {
      v.result = "refuted";
    } else if (largest >= 64 && largest_arities == std::vector<int>{4}) {
      v.result = "verified";
    }
    v.evidence = fmt::format(
        "{} P heaps read ({} torn by concurrent changes); {} ordered as 4-ary heaps (every "
        "parent (i-1)/4 due no later than i), {} not; the largest untorn heap holds {} timers, "
        "ordered by arities {{{}}} of 2-8{}",
        read_heaps_n, torn, ordered4, broken, largest, fmt::join(largest_arities, ","),
        largest < 64 ? " (fewer than 64 timers cannot single out one arity)" : "");
    r.verdicts.push_back(std::move(v));
  }
  {
    report::Verdict v{"EXP-08.netpoll",
                      "timers run on the scheduler's own paths, and idle Ms sleep in netpoll "
                      "until the next timer is due",
                      "inconclusive", ""};
    uint64_t runs = own + taken + no_heap;
    uint64_t runs_without_p = 0;
    for (const auto& [key, n] : matrix) runs_without_p += key.first < 0 ? n : 0;
    if (!polls_seen) {
      v.evidence = "the epoll waits were not traced (--netpoll); ";
    } else if (runs) {
      v.result = runs_without_p == 0 && c.poll_timed_out > 0 ? "verified" : "refuted";
    }
    v.evidence += fmt::format(
        "{} timers run, {} by a P from its own heap, {} from another P's, {} outside any heap, "
        "{} without a P; {} blocking netpoll waits, {} ended at the timeout the runtime set "
        "from its next timer",
        runs, own, taken, no_heap, runs_without_p, c.polls, c.poll_timed_out);
    r.verdicts.push_back(std::move(v));
  }
  {
    report::Verdict v{"EXP-08.locks", "timer operations barely contend for the timers locks",
                      "inconclusive", ""};
    uint64_t ops_total = program.total() + runtime_own.total();
    if (!info.locks) {
      v.evidence = "the locks were not traced (--locks)";
    } else if (!lock_total.acquisitions) {
      v.evidence = "no timers lock was taken while traced";
    } else {
      double share = static_cast<double>(lock_total.waits) /
                     static_cast<double>(lock_total.acquisitions);
      // "Barely": at most 1 acquisition in 100 finds the lock held.
      v.result = share <= 0.01 ? "verified" : "refuted";
      v.evidence = fmt::format(
          "{} acquisitions of the Ps' timers locks for {} timer operations; {} found the lock "
          "held ({:.3f}%), {} of them slept {:.3f} ms in all",
          lock_total.acquisitions, ops_total, lock_total.waits, 100 * share, lock_total.sleeps,
          static_cast<double>(lock_total.sleep_ns) / 1e6);
    }
    r.verdicts.push_back(std::move(v));
  }
  return r;
}

}  // namespace gri::exp::timers
