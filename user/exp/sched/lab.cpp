#include "exp/sched/lab.h"

#include <fmt/format.h>

#include "exp/sched/experiment.h"

namespace gri::exp::sched {

namespace {

struct Mode {
  const char* name;
  const char* what;
  const char* cpu;   // the expected result of EXP-01.cpu
  const char* lock;  // ... of EXP-01.lock
};

// go-probes/sched: cpu has 4 x GOMAXPROCS computing goroutines, lock 8 goroutines on one
// sync.Mutex, imbalance one goroutine spawning batches of 1000 computing ones (more work
// than Ps, no lock).
constexpr Mode kModes[] = {
    {"cpu", "4 x GOMAXPROCS goroutines computing", "verified", "refuted"},
    {"lock", "8 goroutines taking turns on one sync.Mutex", "refuted", "verified"},
    {"imbalance", "one goroutine spawning batches of 1000", "verified", "refuted"},
};

}  // namespace

bool lab_sched(const LabContext& ctx) {
  bool all_ok = true;
  for (const Mode& m : kModes) {
    fmt::print("  workload: go-probes/sched -mode {} ({}), 2 s, GODEBUG=schedtrace=100\n", m.name,
               m.what);
    for (const std::string& v : ctx.go_versions) {
      SchedOptions o;
      o.command = {fmt::format("{}/{}/sched", ctx.probes_dir, v), "-mode", m.name, "-d", "2"};
      o.command_stdout = "/dev/null";
      o.crosscheck = true;
      o.schedtrace_log = fmt::format("{}/EXP-01-{}-{}.schedtrace", ctx.log_dir, m.name, v);
      auto r = run_sched(o, [](const std::string&) {});
      if (!r) {
        fmt::print("  {:<7} cannot run: {}\n", v, r.error().message);
        all_ok = false;
        continue;
      }
      for (const report::Verdict& verdict : r->verdicts) {
        const char* want = verdict.id == "EXP-01.cpu"    ? m.cpu
                           : verdict.id == "EXP-01.lock" ? m.lock
                                                         : "verified";
        bool ok = verdict.result == want;
        fmt::print("  {:<7} [{}]{} {}: {}\n", v, verdict.result,
                   ok ? "" : fmt::format(" (expected {})", want), verdict.id, verdict.evidence);
        all_ok = all_ok && ok;
      }
    }
  }
  return all_ok;
}

}  // namespace gri::exp::sched
