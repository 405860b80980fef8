#include "exp/wb/experiment.h"

#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace gri::exp::wb {

Result<report::Report> run_wb(gc::GcOptions o,
                              const std::function<void(const std::string&)>& progress) {
  o.write_barrier = true;
  o.crosscheck = false;
  auto gc = gc::run_gc(o, progress);
  if (!gc) return gc.error();
  report::Report r = std::move(*gc);
  r.experiment = "EXP-06";
  r.tables.clear();
  r.notes.clear();
  r.verdicts.clear();

  const auto& wbdata = r.data["write_barrier"];
  uint64_t outside = wbdata["flushes_outside_mark"].get<uint64_t>();
  uint64_t max_ptrs = wbdata["max_pointers_per_flush"].get<uint64_t>();
  uint64_t capacity = wbdata["buffer_capacity"].get<uint64_t>();
  bool exact = o.mark_probes, watch = !o.watch.empty();
  report::Table table{"cycles (write-barrier buffer flushes while it was on)",
                      {"n", "mark ms", "flushes", "pointers", "per flush"},
                      {}};
  if (exact) {
    table.title += "; marking calls (--exact)";
    table.columns.push_back("grey calls");
    table.columns.push_back("shade calls");
  }
  report::Table watched{fmt::format("the object in {} (--watch): who reached it first in each cycle", o.watch),
                        {"n", "address", "greyed by", "P", "ms after mark start", "reaches"},
                        {}};
  uint64_t watch_cycles = 0, watch_reached = 0;
  std::map<std::string, uint64_t> watch_by;
  nlohmann::ordered_json cycles = nlohmann::ordered_json::array();
  uint64_t flushes = 0, pointers = 0, cycles_with_flushes = 0, n = 0;
  for (const auto& c : r.data["cycles"]) {
    uint64_t f = c["wb_flushes"].get<uint64_t>(), p = c["wb_pointers"].get<uint64_t>();
    n++;
    flushes += f;
    pointers += p;
    cycles_with_flushes += f > 0;
    nlohmann::ordered_json j = {{"n", c["n"]}, {"stw_sweep_term_us", c["stw_sweep_term_us"]},
                                {"mark_ms", c["mark_ms"]}, {"wb_flushes", f}, {"wb_pointers", p}};
    std::vector<std::string> row = {
        c["n"].dump(), fmt::format("{:.2f}", c["mark_ms"].get<double>()), std::to_string(f),
        std::to_string(p), f ? fmt::format("{:.1f}", static_cast<double>(p) / static_cast<double>(f)) : "-"};
    if (exact) {
      j["grey_calls"] = c["grey_calls"];
      j["shade_calls"] = c["shade_calls"];
      row.push_back(c["grey_calls"].dump());
      row.push_back(c["shade_calls"].dump());
    }
    if (watch) {
      const auto& w = c["watch"];
      j["watch"] = w;
      bool reached = w["reached"].get<bool>();
      watch_cycles += w["addr"].get<uint64_t>() != 0;
      watch_reached += reached;
      if (reached) watch_by[w["by"].get<std::string>()]++;
      watched.rows.push_back({c["n"].dump(), fmt::format("{:#x}", w["addr"].get<uint64_t>()),
                              reached ? w["by"].get<std::string>() : "not reached",
                              reached ? w["p"].dump() : "-",
                              reached ? fmt::format("{:.3f}", w["after_mark_start_ms"].get<double>()) : "-",
                              w["reaches"].dump()});
    }
    cycles.push_back(std::move(j));
    table.rows.push_back(std::move(row));
  }

  nlohmann::ordered_json data;
  data["cycles"] = std::move(cycles);
  data["flushes_outside_mark"] = outside;
  data["max_pointers_per_flush"] = max_ptrs;
  data["buffer_capacity"] = capacity;
  if (exact || watch) data["mark_probes"] = r.data["mark_probes"];
  r.data = std::move(data);
  r.tables.push_back(std::move(table));
  if (watch) r.tables.push_back(std::move(watched));
  r.notes.push_back(fmt::format("{} flushes of {} pointers in {} cycles; {} flushes while the GC "
                                "was off; at most {} pointers in one flush, buffers hold {}",
                                flushes, pointers, n, outside, max_ptrs, capacity));

  // Without cycle events (a stripped binary has no global addresses) there is nothing to judge.
  bool figures = n > 0;
  std::string why = "no GC cycle with figures: see degraded";
  r.verdicts.push_back(
      {"EXP-06.phase", "the write barrier is on only during concurrent mark",
       !figures || n == 0 ? "inconclusive" : outside == 0 && cycles_with_flushes == n ? "verified" : "refuted",
       figures ? fmt::format("{} of {} cycles flushed buffers during mark; {} flushes while "
                             "gcphase was _GCoff",
                             cycles_with_flushes, n, outside)
               : why});
  r.verdicts.push_back(
      {"EXP-06.batching", "pointer writes are buffered per P and shaded in batches",
       !figures || flushes == 0 ? "inconclusive"
       : max_ptrs <= capacity && pointers > flushes ? "verified"
                                                    : "refuted",
       figures ? fmt::format("{} flushes carried {} pointers ({:.1f} a flush, at most {}; a "
                             "buffer holds {})",
                             flushes, pointers,
                             flushes ? static_cast<double>(pointers) / static_cast<double>(flushes) : 0.0,
                             max_ptrs, capacity)
               : why});
  if (watch) {
    std::vector<std::string> by;
    for (const auto& [who, n] : watch_by) by.push_back(fmt::format("{} {}", who, n));
    r.verdicts.push_back(
        {"EXP-06.watch", "a live object is greyed once in every cycle, by the write barrier or a marker",
         watch_cycles == 0 ? "inconclusive" : watch_reached == watch_cycles ? "verified" : "refuted",
         watch_cycles == 0
             ? fmt::format("{} never held an address during a cycle", o.watch)
             : fmt::format("reached in {} of the {} cycles that began with its address published "
                           "({} cycles in all), first by: {}",
                           watch_reached, watch_cycles, n,
                           by.empty() ? "nobody" : fmt::format("{}", fmt::join(by, ", ")))});
  }
  return r;
}

}  // namespace gri::exp::wb
