#include "exp/maps/lab.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "common/text_file.h"
#include "exp/maps/code.h"
#include "exp/maps/experiment.h"
#include "exp/maps/probes.h"
#include "exp/maps/simulate.h"
#include "goelf/go_binary.h"
#include "lab/outcomes.h"
#include "probe/child.h"
#include "probe/kernel_events.h"

namespace gri::exp::maps {

namespace {

namespace fs = std::filesystem;

// Untraced runs of each configuration; the median ns per operation is shown.
constexpr int kRuns = 3;
constexpr int kBig = 1 << 20;  // out of cache: 16-32 MiB of slots

struct Variant {
  std::string go;     // "go1.24"
  std::string label;  // "go1.24 buckets" (GOEXPERIMENT=noswissmap), "go1.26 swiss"
  std::string path;
  MapKind kind = MapKind::kUnknown;
};

// One configuration of go-probes/maps: its arguments and a name for the table.
struct Shape {
  std::string name;
  std::vector<std::string> args;
};

const std::vector<Shape>& shapes() {
  static const std::vector<Shape> s = {
      {"8 keys x 16384 maps", {"-n", "8", "-maps", "16384", "-lookups", "8"}},
      {"4096 keys x 16 maps", {"-n", "4096", "-maps", "16", "-lookups", "8"}},
      {"2^20 keys", {"-n", std::to_string(kBig), "-lookups", "2"}},
  };
  return s;
}
constexpr const char* kPhases[] = {"insert", "hit", "miss", "churn"};

struct VariantResult {
  Variant v;
  std::string native_error;
  std::map<std::string, std::map<std::string, double>> ns;  // "int64 2^20 keys" -> phase -> ns/op
  SimulatedOps sim;
  std::string sim_error;  // why there are no simulated figures
  std::vector<LookupCode> code;
  std::string code_error;
  nlohmann::ordered_json growth_summary;
  double map_share = 0;
  std::string gri_error;
  // gri maps --exact on the watched map of kPerLookupKeys int64 keys: "hit"/"miss" -> the
  // report's data.exact.per_lookup.per_lookup (visited, slots_scanned, keys_compared, ...).
  std::map<std::string, nlohmann::ordered_json> per_lookup;
  std::string per_lookup_error;
};

constexpr int kPerLookupKeys = 65536;

// Runs argv with stdout and stderr in `log`; its stdout, or why it failed.
Result<std::string> run_logged(const std::vector<std::string>& argv,
                               const std::vector<std::string>& env, const std::string& log) {
  auto status = probe::run_to_end({argv, env, log, log + ".err"}, std::chrono::minutes(10));
  if (!status) return status.error();
  if (*status != 0) {
    auto err = read_text_file(log + ".err");
    std::string tail = err ? err->substr(err->size() > 300 ? err->size() - 300 : 0) : "";
    return make_error("{} {} ({})", argv[0], probe::describe_wait_status(*status), tail);
  }
  auto out = read_text_file(log);
  if (!out) return make_error("cannot read {}", log);
  return *out;
}

std::map<std::string, double> phase_ns(const std::string& out) {
  static const std::regex line(R"(maps-probe: phase=(\w+) ops=\d+ ns_per_op=([0-9.]+))");
  std::map<std::string, double> ns;
  for (auto it = std::sregex_iterator(out.begin(), out.end(), line); it != std::sregex_iterator();
       ++it) {
    ns[(*it)[1]] = std::stod((*it)[2]);
  }
  return ns;
}

double median(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::string log_name(const std::string& dir, const Variant& v, const std::string& what) {
  std::string name = fmt::format("EXP-07-{}-{}", v.label, what);
  std::replace_if(name.begin(), name.end(), [](char c) { return !std::isalnum(c) && c != '-' && c != '.'; }, '_');
  return dir + "/" + name;
}

void run_native(const Variant& v, const std::string& logs, VariantResult& r) {
  for (const char* keys : {"int64", "string"}) {
    for (const Shape& s : shapes()) {
      std::map<std::string, std::vector<double>> runs;
      for (int i = 0; i < kRuns; i++) {
        std::vector<std::string> argv = {v.path, "-keys", keys};
        argv.insert(argv.end(), s.args.begin(), s.args.end());
        auto out = run_logged(argv, {}, log_name(logs, v, "native"));
        if (!out) {
          r.native_error = out.error().message;
          return;
        }
        for (const auto& [phase, ns] : phase_ns(*out)) runs[phase].push_back(ns);
      }
      for (const auto& [phase, list] : runs) r.ns[fmt::format("{} {}", keys, s.name)][phase] = median(list);
    }
  }
  std::vector<double> sharded;
  for (int i = 0; i < kRuns; i++) {
    auto out = run_logged({v.path, "-phases", "sharded", "-n", "65536", "-g", "4", "-d", "0.5"}, {},
                          log_name(logs, v, "sharded"));
    if (!out) {
      r.native_error = out.error().message;
      return;
    }
    auto ns = phase_ns(*out);
    if (ns.count("sharded")) sharded.push_back(ns["sharded"]);
  }
  r.ns["int64 sharded 4 goroutines"]["sharded"] = median(sharded);
}

void run_simulated(const Variant& v, const std::string& logs, VariantResult& r) {
  auto sim = simulate_ops(v.path, kBig, log_name(logs, v, "cachegrind"));
  if (sim) r.sim = *sim;
  else r.sim_error = sim.error().message;
}

void run_gri(const Variant& v, VariantResult& r) {
  MapsOptions o;
  o.command = {v.path, "-n", "100000", "-phases", "insert,hit,miss,churn"};
  o.command_stdout = "/dev/null";
  auto rep = run_maps(o, [](const std::string&) {});
  if (!rep) {
    r.gri_error = rep.error().message;
    return;
  }
  r.growth_summary = rep->data["growth_summary"];
  r.map_share = rep->data["cpu"].value("map_share", 0.0) + rep->data["cpu"].value("hash_share", 0.0);
}

// One run per phase, so that each phase's lookups are counted alone.
void run_per_lookup(const Variant& v, VariantResult& r) {
  for (const char* phase : {"hit", "miss"}) {
    MapsOptions o;
    o.command = {v.path, "-n", std::to_string(kPerLookupKeys), "-lookups", "1", "-phases",
                 std::string("insert,") + phase};
    o.command_stdout = "/dev/null";
    o.exact = true;
    o.watch = "main.watched";
    auto rep = run_maps(o, [](const std::string&) {});
    if (!rep) {
      r.per_lookup_error = rep.error().message;
      return;
    }
    const auto& e = rep->data["exact"];
    if (!e.is_object() || !e["per_lookup"].is_object()) {
      r.per_lookup_error = "no per-lookup figures in the report";
      return;
    }
    r.per_lookup[phase] = e["per_lookup"]["per_lookup"];
  }
}

double per_lookup_of(const VariantResult& r, const char* phase, const char* what) {
  auto it = r.per_lookup.find(phase);
  if (it == r.per_lookup.end() || !it->second.contains(what) || !it->second[what].is_number()) return NAN;
  return it->second[what].get<double>();
}

// --- printing ------------------------------------------------------------------------------

std::string ns_cell(const VariantResult& r, const std::string& shape, const std::string& phase) {
  auto s = r.ns.find(shape);
  if (s == r.ns.end()) return "-";
  auto p = s->second.find(phase);
  return p == s->second.end() || std::isnan(p->second) ? "-" : fmt::format("{:.1f}", p->second);
}

void print_tables(const std::vector<VariantResult>& results) {
  for (const char* keys : {"int64", "string"}) {
    fmt::print("  ns per operation, {} keys (median of {} untraced runs; insert: fresh maps, "
               "growth included)\n",
               keys, kRuns);
    fmt::print("  {:<16}", "");
    for (const Shape& s : shapes()) fmt::print(" | {:^31}", s.name);
    fmt::print("\n  {:<16}", "variant");
    for (size_t i = 0; i < shapes().size(); i++) {
      for (const char* p : kPhases) fmt::print("{}{:>7}", p == kPhases[0] ? " | " : " ", p);
    }
    fmt::print("\n");
    for (const VariantResult& r : results) {
      fmt::print("  {:<16}", r.v.label);
      for (const Shape& s : shapes()) {
        for (const char* p : kPhases) {
          fmt::print("{}{:>7}", p == kPhases[0] ? " | " : " ",
                     ns_cell(r, fmt::format("{} {}", keys, s.name), p));
        }
      }
      fmt::print("\n");
    }
  }
  fmt::print("  sharded: 4 goroutines on 8 int64 maps behind a sync.RWMutex each, 10% writes, "
             "ns per operation (wall time / operations):");
  for (const VariantResult& r : results) {
    fmt::print(" {} {};", r.v.label, ns_cell(r, "int64 sharded 4 goroutines", "sharded"));
  }
  std::string pmu = probe::hw_pmu_unavailable();
  fmt::print("\n  hardware counters: {}\n", pmu.empty() ? "a PMU is here, but the lab reads none yet: "
                                                           "simulated figures below"
                                                         : "unavailable: " + pmu);
  fmt::print("  simulated by cachegrind (GOMAXPROCS=1, GOGC=off; {}),\n  int64 keys, one map of 2^20 "
             "entries, per operation: instructions / D1 misses / LL misses\n",
             kSimulatedCaches);
  fmt::print("  {:<16} | {:^26} | {:^26} | {:^26}\n", "variant", "insert (growth included)",
             "lookup, hit", "lookup, miss");
  for (const VariantResult& r : results) {
    if (!r.sim_error.empty()) {
      fmt::print("  {:<16} | {}\n", r.v.label, r.sim_error);
      continue;
    }
    auto cell = [](const Counts& c) { return fmt::format("{:.0f} / {:.2f} / {:.2f}", c.ir, c.d1, c.ll); };
    fmt::print("  {:<16} | {:^26} | {:^26} | {:^26}\n", r.v.label, cell(r.sim.insert),
               cell(r.sim.hit), cell(r.sim.miss));
  }
  fmt::print("  gri maps (default mode) on -n 100000, insert,hit,miss,churn:\n");
  for (const VariantResult& r : results) {
    if (!r.gri_error.empty()) {
      fmt::print("    {:<16} {}\n", r.v.label, r.gri_error);
      continue;
    }
    std::vector<std::string> kinds;
    for (auto it = r.growth_summary.begin(); it != r.growth_summary.end(); ++it) {
      const auto& mean = it.value()["mean_us"];
      kinds.push_back(fmt::format("{} {}{}", it.key(), it.value()["growths"].get<uint64_t>(),
                                  mean.is_number() ? fmt::format(" (mean {:.1f} us)", mean.get<double>())
                                                   : ""));
    }
    fmt::print("    {:<16} growths: {}; {:.0f}% of cpu-clock samples in map and hash code\n",
               r.v.label, fmt::join(kinds, ", "), 100 * r.map_share);
  }
  fmt::print("  per lookup, gri maps --exact on one map of {} int64 keys (groups or buckets visited, "
             "slots scanned one by one, keys compared):\n",
             kPerLookupKeys);
  fmt::print("  {:<16} | {:^26} | {:^26}\n", "", "hit", "miss");
  for (const VariantResult& r : results) {
    if (!r.per_lookup_error.empty()) {
      fmt::print("  {:<16} | {}\n", r.v.label, r.per_lookup_error);
      continue;
    }
    auto cell = [&](const char* phase) {
      return fmt::format("{:.3f} / {:.3f} / {:.3f}", per_lookup_of(r, phase, "visited"),
                         per_lookup_of(r, phase, "slots_scanned"),
                         per_lookup_of(r, phase, "keys_compared"));
    };
    fmt::print("  {:<16} | {:^26} | {:^26}\n", r.v.label, cell("hit"), cell("miss"));
  }
}

// --- verdicts ------------------------------------------------------------------------------

const LookupCode* code_of(const VariantResult& r, std::string_view fn) {
  for (const LookupCode& c : r.code)
    if (c.function == fn) return &c;
  return nullptr;
}

double ns_of(const VariantResult& r, const std::string& shape, const std::string& phase) {
  auto s = r.ns.find(shape);
  if (s == r.ns.end()) return NAN;
  auto p = s->second.find(phase);
  return p == s->second.end() ? NAN : p->second;
}

std::string sim_or_error(const VariantResult& s, const VariantResult& b) {
  if (!s.sim_error.empty()) return s.v.label + ": " + s.sim_error;
  if (!b.sim_error.empty()) return b.v.label + ": " + b.sim_error;
  return "";
}

// True, with the reason in the evidence, when either side has no simulated figures.
bool lacks_simulation(report::Verdict& v, const VariantResult& s, const VariantResult& b) {
  std::string e = sim_or_error(s, b);
  if (!e.empty()) v.evidence = "no simulation: " + e;
  return !e.empty();
}

// One comparison of swiss (s) against buckets (b), lower is better: +1 when swiss is lower by
// at least `margin` (a fraction), -1 when higher by as much, 0 in between.
int compare(double s, double b, double margin) {
  if (std::isnan(s) || std::isnan(b)) return 0;
  if (s < b * (1 - margin)) return 1;
  if (s > b * (1 + margin)) return -1;
  return 0;
}

// "verified" when every comparison favours swiss, "refuted" when every one favours buckets,
// otherwise "inconclusive" (the evidence says which way each went).
std::string outcome(const std::vector<int>& signs) {
  bool all_for = std::all_of(signs.begin(), signs.end(), [](int x) { return x > 0; });
  bool all_against = std::all_of(signs.begin(), signs.end(), [](int x) { return x < 0; });
  return all_for ? "verified" : all_against ? "refuted" : "inconclusive";
}

std::string tally(const std::vector<int>& signs) {
  auto n = [&](int x) { return std::count(signs.begin(), signs.end(), x); };
  return fmt::format("{} for swiss, {} for buckets, {} within the margin", n(1), n(-1), n(0));
}

// Margins: cachegrind's counts repeat to a fraction of a percent (it simulates, and
// GOMAXPROCS=1 keeps the runtime's threads from racing; the same code built by go1.24 and
// go1.25 differed by 0.5%), so 8%; untraced times on this shared machine move by 10% and more
// between runs of the same binary, so 15%.
constexpr double kSimMargin = 0.08;
constexpr double kTimeMargin = 0.15;

report::Verdict cache_verdict(const VariantResult& s, const VariantResult& b) {
  report::Verdict v{"EXP-07.cache",
                    "swiss lookups miss the cache less often than bucket lookups out of cache "
                    "(2^20 entries, last-level misses simulated by cachegrind)",
                    "inconclusive", ""};
  if (lacks_simulation(v, s, b)) return v;
  // Out of cache, what costs is a miss of the last level (a trip to memory): it decides.
  // First-level misses are beside it (most of them hit the last level).
  std::vector<int> signs = {compare(s.sim.hit.ll, b.sim.hit.ll, kSimMargin),
                            compare(s.sim.miss.ll, b.sim.miss.ll, kSimMargin)};
  v.result = outcome(signs);
  v.evidence = fmt::format(
      "last-level misses: {}; per hit D1 {:.2f} vs {:.2f}, LL {:.2f} vs {:.2f}; per miss D1 "
      "{:.2f} vs {:.2f}, LL {:.2f} vs {:.2f} ({} vs {})",
      tally(signs), s.sim.hit.d1, b.sim.hit.d1, s.sim.hit.ll, b.sim.hit.ll, s.sim.miss.d1, b.sim.miss.d1,
      s.sim.miss.ll, b.sim.miss.ll, s.v.label, b.v.label);
  return v;
}

report::Verdict instructions_verdict(const VariantResult& s, const VariantResult& b) {
  report::Verdict v{"EXP-07.instructions",
                    "swiss lookups take fewer instructions than bucket lookups",
                    "inconclusive", ""};
  if (lacks_simulation(v, s, b)) return v;
  // Instructions decide: cachegrind counts them exactly, run after run. Times are beside
  // them: on this shared machine the medians of the same binary move by 10% and more.
  std::string big = "int64 2^20 keys";
  // A lookup: hits and misses in equal numbers.
  double s_ir = (s.sim.hit.ir + s.sim.miss.ir) / 2, b_ir = (b.sim.hit.ir + b.sim.miss.ir) / 2;
  std::vector<int> signs = {compare(s_ir, b_ir, kSimMargin)};
  v.result = outcome(signs);
  v.evidence = fmt::format(
      "2^20 entries, hits and misses alike: {:.0f} vs {:.0f} instructions a lookup; per hit "
      "{:.0f} vs {:.0f}, per miss {:.0f} vs {:.0f}; ns per lookup (untraced, median): hit {:.1f} "
      "vs {:.1f}, miss {:.1f} vs {:.1f} ({} vs {})",
      s_ir, b_ir, s.sim.hit.ir, b.sim.hit.ir, s.sim.miss.ir, b.sim.miss.ir, ns_of(s, big, "hit"),
      ns_of(b, big, "hit"), ns_of(s, big, "miss"), ns_of(b, big, "miss"), s.v.label, b.v.label);
  return v;
}

report::Verdict simd_verdict(const VariantResult& s, const VariantResult& b) {
  report::Verdict v{"EXP-07.simd",
                    "swiss lookups match a group's 8 control bytes at once with SSE2, bucket "
                    "lookups compare one by one",
                    "inconclusive", ""};
  if (!s.code_error.empty() || !b.code_error.empty()) {
    v.evidence = "cannot disassemble: " + s.code_error + b.code_error;
    return v;
  }
  std::vector<std::string> with, without, bucket_simd;
  for (const char* fn : {"runtime.mapaccess1_fast64", "runtime.mapaccess2_fast64",
                         "runtime.mapaccess1_faststr", "runtime.mapaccess2_faststr"}) {
    const LookupCode* c = code_of(s, fn);
    if (!c) continue;
    (c->pcmpeqb && c->pmovmskb ? with : without)
        .push_back(fmt::format("{} ({} PCMPEQB, {} PMOVMSKB)", fn, c->pcmpeqb, c->pmovmskb));
    const LookupCode* d = code_of(b, fn);
    if (d && (d->pcmpeqb || d->pmovmskb)) bucket_simd.push_back(fn);
  }
  if (with.empty() && without.empty()) {
    v.evidence = "no fast64 or faststr lookup function in " + s.v.path;
    return v;
  }
  // The code says SIMD; --exact says whether it spares key comparisons.
  double sh = per_lookup_of(s, "hit", "keys_compared"), bh = per_lookup_of(b, "hit", "keys_compared");
  double sm = per_lookup_of(s, "miss", "keys_compared"), bm = per_lookup_of(b, "miss", "keys_compared");
  bool counted = !std::isnan(sh) && !std::isnan(bh) && !std::isnan(sm) && !std::isnan(bm);
  bool code_simd = without.empty() && bucket_simd.empty();
  if (!counted) {
    v.result = code_simd ? "inconclusive" : "refuted";
  } else {
    v.result = code_simd && sh < bh && sm < bm ? "verified" : "refuted";
  }
  v.evidence = fmt::format(
      "{} of {} swiss lookup functions do{}{}; the bucket map's ({}) use {}; keys compared per "
      "lookup of {} int64 keys (gri maps --exact): a hit {}, a miss {}; instructions per hit "
      "lookup {:.0f} vs {:.0f} (simulated)",
      with.size(), with.size() + without.size(), with.empty() ? "" : ": ",
      fmt::join(with, ", "), b.v.label,
      bucket_simd.empty() ? "none" : fmt::format("{}", fmt::join(bucket_simd, ", ")),
      kPerLookupKeys,
      counted ? fmt::format("{:.3f} vs {:.3f}", sh, bh) : "not counted (" + s.per_lookup_error + b.per_lookup_error + ")",
      counted ? fmt::format("{:.3f} vs {:.3f}", sm, bm) : "-", s.sim.hit.ir, b.sim.hit.ir);
  return v;
}

report::Verdict growth_verdict(const VariantResult& s, const VariantResult& b) {
  report::Verdict v{"EXP-07.growth",
                    "inserts into a fresh swiss map, growth included, cost less than into a "
                    "bucket map (instructions and last-level misses)",
                    "inconclusive", ""};
  if (lacks_simulation(v, s, b)) return v;
  // Simulated counts decide; the untraced times are beside them.
  std::vector<int> signs = {compare(s.sim.insert.ir, b.sim.insert.ir, kSimMargin),
                            compare(s.sim.insert.ll, b.sim.insert.ll, kSimMargin)};
  v.result = outcome(signs);
  // Where the bucket map is faster: every configuration and phase where its median is
  // kTimeMargin below the swiss map's.
  std::vector<std::string> bucket_wins;
  for (const auto& [shape, phases] : b.ns) {
    for (const auto& [phase, ns] : phases) {
      double sw = ns_of(s, shape, phase);
      if (compare(sw, ns, kTimeMargin) < 0) {
        bucket_wins.push_back(fmt::format("{} {} ({:.1f} vs {:.1f} ns)", shape, phase, sw, ns));
      }
    }
  }
  std::string big = "int64 2^20 keys", big_str = "string 2^20 keys";
  v.evidence = fmt::format(
      "2^20 entries (simulated): {}; per insert {:.0f} vs {:.0f} instructions, LL misses {:.2f} "
      "vs {:.2f}; untraced ns per insert, int64 {:.1f} vs {:.1f}, string {:.1f} vs {:.1f}; the "
      "bucket map is faster at {}",
      tally(signs), s.sim.insert.ir, b.sim.insert.ir, s.sim.insert.ll, b.sim.insert.ll,
      ns_of(s, big, "insert"), ns_of(b, big, "insert"), ns_of(s, big_str, "insert"),
      ns_of(b, big_str, "insert"),
      bucket_wins.empty() ? "nothing measured here"
                          : fmt::format("{}", fmt::join(bucket_wins, "; ")));
  return v;
}

// The result each comparison gives on the bundled workload, measured here (cachegrind,
// GOGC=off, 2^20 int64 keys; the same on every pair, one compiler and across generations):
// - cache: last-level misses a hit 1.20 (swiss) vs 1.78-1.79 (buckets), a miss 0.64 vs
//   2.32-2.33; verified. (First-level misses a hit go the other way, 3.11-3.12 vs 2.32-2.33:
//   the swiss table's header is one more line.)
// - instructions: a lookup 130-135 vs 153-162; verified (a hit alone is within 8%: 129-134
//   vs 134-138).
// - simd: PCMPEQB/PMOVMSKB in every swiss fast64/faststr lookup, none in the bucket ones;
//   keys compared (gri maps --exact, 65536 int64 keys) a hit 1.016 vs 3.0, a miss 0.033 vs
//   8.17 on every release.
// - growth: an insert into a fresh map takes 569-593 instructions vs 491-535 (more, or
//   within 8%) but 2.06 last-level misses vs 2.97-3.07 (fewer): inconclusive, said so.
// The lab reports any other result as unexpected.
std::string expected(std::string_view id) {
  return id == "EXP-07.growth" ? "inconclusive" : "verified";
}

nlohmann::ordered_json result_json(const VariantResult& r) {
  auto counts = [](const Counts& c) {
    return nlohmann::ordered_json{{"instructions", c.ir}, {"d1_misses", c.d1}, {"ll_misses", c.ll}};
  };
  nlohmann::ordered_json j = {{"variant", r.v.label}, {"go", r.v.go}, {"kind", kind_name(r.v.kind)},
                              {"binary", r.v.path}, {"ns_per_op", r.ns}};
  if (!r.native_error.empty()) j["native_error"] = r.native_error;
  if (r.sim_error.empty()) {
    j["simulated"] = {{"insert", counts(r.sim.insert)}, {"hit", counts(r.sim.hit)},
                      {"miss", counts(r.sim.miss)}};
  } else {
    j["simulated"] = {{"error", r.sim_error}};
  }
  nlohmann::ordered_json code = nlohmann::ordered_json::array();
  for (const LookupCode& c : r.code) {
    code.push_back({{"function", c.function}, {"pcmpeqb", c.pcmpeqb}, {"pmovmskb", c.pmovmskb},
                    {"instructions", c.instructions}});
  }
  j["lookup_code"] = std::move(code);
  j["growth_summary"] = r.growth_summary;
  j["map_and_hash_share"] = r.map_share;
  j["per_lookup"] = r.per_lookup;
  if (!r.per_lookup_error.empty()) j["per_lookup_error"] = r.per_lookup_error;
  return j;
}

}  // namespace

void lab_maps(const LabContext& ctx, lab::Outcomes& out) {
  fmt::print(
      "  workload: go-probes/maps, int64 and string keys, maps of 8, 4096 and 2^20 entries:\n"
      "  inserts with growth, lookups that hit and miss, deletes and re-inserts; 4 goroutines on\n"
      "  RWMutex-sharded maps. Swiss and bucket maps from one compiler (go1.24 and go1.25 with\n"
      "  GOEXPERIMENT=noswissmap) and across generations (go1.19 buckets, go1.26 and go1.27 swiss)\n");
  std::vector<Variant> variants;
  for (const std::string& go : ctx.go_versions) {
    for (const char* name : {"maps-noswiss", "maps"}) {
      std::string path = fmt::format("{}/{}/{}", ctx.probes_dir, go, name);
      if (!fs::exists(path)) continue;
      auto bin = goelf::GoBinary::open(path);
      if (!bin) {
        out.failed("maps", go, bin.error().message);
        continue;
      }
      MapKind kind = map_kind(*bin);
      variants.push_back({go, fmt::format("{} {}", go, kind_name(kind)), path, kind});
    }
  }
  std::vector<VariantResult> results;
  for (const Variant& v : variants) {
    fmt::print("  {}: untraced runs, cachegrind, gri maps, gri maps --exact ...\n", v.label);
    std::fflush(stdout);
    VariantResult r;
    r.v = v;
    run_native(v, ctx.log_dir, r);
    run_simulated(v, ctx.log_dir, r);
    auto bin = goelf::GoBinary::open(v.path);
    auto code = bin ? lookup_code(*bin) : Result<std::vector<LookupCode>>(bin.error());
    if (code) r.code = std::move(*code);
    else r.code_error = code.error().message;
    run_gri(v, r);
    run_per_lookup(v, r);
    if (!r.native_error.empty()) out.failed("maps untraced", v.label, r.native_error);
    results.push_back(std::move(r));
  }
  print_tables(results);

  // The pairs compared: swiss and buckets of one compiler, then across generations (the
  // oldest bucket map against each swiss-only release).
  auto find = [&](const std::string& go, MapKind k) -> const VariantResult* {
    for (const VariantResult& r : results)
      if (r.v.go == go && r.v.kind == k) return &r;
    return nullptr;
  };
  std::vector<std::tuple<const VariantResult*, const VariantResult*, bool>> pairs;
  const VariantResult* oldest = nullptr;
  for (const VariantResult& r : results) {
    if (r.v.kind != MapKind::kSwiss) {
      if (!oldest && r.v.kind == MapKind::kBuckets) oldest = &r;
      continue;
    }
    if (const VariantResult* b = find(r.v.go, MapKind::kBuckets)) pairs.emplace_back(&r, b, true);
  }
  for (const VariantResult& r : results) {
    if (r.v.kind == MapKind::kSwiss && !find(r.v.go, MapKind::kBuckets) && oldest) {
      pairs.emplace_back(&r, oldest, false);
    }
  }
  for (const auto& [s, b, same] : pairs) {
    std::string workload = same ? fmt::format("maps A/B, one compiler: {} vs {}", s->v.label, b->v.label)
                                : fmt::format("maps A/B, generations: {} vs {}", s->v.label, b->v.label);
    // The pair's page: both variants' figures side by side (A/B bars, maps/figures.cpp).
    report::Report page;
    page.experiment = "EXP-07";
    page.target.exe = fmt::format("A/B: {} against {}", s->v.label, b->v.label);
    page.target.go_version = s->v.go;
    page.data["ab"] = {{"a", result_json(*s)}, {"b", result_json(*b)}};
    page.verdicts = {cache_verdict(*s, *b), instructions_verdict(*s, *b), simd_verdict(*s, *b),
                     growth_verdict(*s, *b)};
    out.report(workload, s->v.go, page);
    for (const report::Verdict& verdict : page.verdicts) {
      out.verdict(workload, s->v.go, verdict, expected(verdict.id));
    }
  }
  nlohmann::ordered_json all = nlohmann::ordered_json::array();
  for (const VariantResult& r : results) all.push_back(result_json(r));
  std::ofstream(ctx.log_dir + "/EXP-07-ab.json") << all.dump(2) << "\n";
}

}  // namespace gri::exp::maps
