#include "exp/gc/lab.h"

#include <chrono>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "exp/gc/counted_run.h"
#include "exp/gc/gctrace.h"

namespace gri::exp::gc {

namespace {

constexpr uint64_t kForcedCycles = 20;
constexpr std::chrono::seconds kRunTimeout{60};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

bool lab_cycle_count(const LabContext& ctx) {
  bool all_ok = true;
  fmt::print("  hypothesis: gri sees each of {} runtime.GC() calls, and every completed cycle "
             "that gctrace prints\n",
             kForcedCycles);
  fmt::print("  {:<8} {:>8} {:>8} {:>8} {:>8}  {}\n", "go", "gcStart", "forced", "cycles",
             "gctrace", "result");
  for (const std::string& v : ctx.go_versions) {
    std::string exe = fmt::format("{}/{}/gc", ctx.probes_dir, v);
    std::string trace = fmt::format("{}/EXP-05-{}.gctrace", ctx.log_dir, v);
    probe::ChildOptions cmd{{exe, "-n", std::to_string(kForcedCycles)},
                            {"GODEBUG=gctrace=1"},
                            "/dev/null",
                            trace};
    auto run = run_counted(cmd, kRunTimeout);
    if (!run) {
      fmt::print("  {:<8} cannot run: {}\n", v, run.error().message);
      all_ok = false;
      continue;
    }
    size_t lines = parse_gctrace(slurp(trace)).size();
    bool ok = run->counts.cycles == lines && run->counts.gc_start_forced == kForcedCycles;
    all_ok = all_ok && ok;
    fmt::print("  {:<8} {:>8} {:>8} {:>8} {:>8}  {}\n", v, run->counts.gc_start,
               run->counts.gc_start_forced, run->counts.cycles, lines,
               ok ? "verified" : "refuted");
  }
  return all_ok;
}

}  // namespace gri::exp::gc
