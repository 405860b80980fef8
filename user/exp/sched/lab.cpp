#include "exp/sched/lab.h"

#include <fmt/format.h>

#include "exp/sched/experiment.h"
#include "lab/outcomes.h"

namespace gri::exp::sched {

namespace {

struct Mode {
  const char* name;
  const char* what;
  const char* cpu;   // the expected result of EXP-01.cpu
  const char* lock;  // ... of EXP-01.lock
};

// go-probes/sched: cpu has 4 x GOMAXPROCS computing goroutines, lock 8 goroutines on one
// sync.Mutex, imbalance one goroutine keeping 1000 computing ones in flight (more work
// than Ps, no lock).
constexpr Mode kModes[] = {
    {"cpu", "4 x GOMAXPROCS goroutines computing", "verified", "refuted"},
    {"lock", "8 goroutines taking turns on one sync.Mutex", "refuted", "verified"},
    {"imbalance", "one goroutine keeping 1000 in flight", "verified", "refuted"},
};

}  // namespace

void lab_sched(const LabContext& ctx, lab::Outcomes& out) {
  for (const Mode& m : kModes) {
    fmt::print("  workload: go-probes/sched -mode {} ({}), 2 s, GODEBUG=schedtrace=100\n", m.name,
               m.what);
    std::string workload = fmt::format("sched -mode {}", m.name);
    for (const std::string& v : ctx.go_versions) {
      SchedOptions o;
      o.command = {fmt::format("{}/{}/sched", ctx.probes_dir, v), "-mode", m.name, "-d", "2"};
      o.command_stdout = "/dev/null";
      o.crosscheck = true;
      o.schedtrace_log = fmt::format("{}/EXP-01-{}-{}.schedtrace", ctx.log_dir, m.name, v);
      auto r = run_sched(o, [](const std::string&) {});
      if (!r) {
        out.failed(workload, v, r.error().message);
        continue;
      }
      out.report(workload, v, *r);
      for (const report::Verdict& verdict : r->verdicts) {
        const char* want = verdict.id == "EXP-01.cpu"    ? m.cpu
                           : verdict.id == "EXP-01.lock" ? m.lock
                                                         : "verified";
        out.verdict(workload, v, verdict, want);
      }
    }
  }
}

}  // namespace gri::exp::sched
