#include "exp/gc/lab.h"

#include <fmt/format.h>

#include "exp/gc/container.h"
#include "exp/gc/experiment.h"
#include "lab/outcomes.h"
#include "report/render.h"

namespace gri::exp::gc {

namespace {
constexpr int kForcedCycles = 20;
}  // namespace

void lab_gc(const LabContext& ctx, lab::Outcomes& out) {
  fmt::print("  workload: go-probes/gc, {} runtime.GC() calls with allocation between them, run\n"
             "  with GODEBUG=gctrace=1; gri gc --crosscheck compares every cycle\n",
             kForcedCycles);
  for (const std::string& v : ctx.go_versions) {
    GcOptions o;
    o.command = {fmt::format("{}/{}/gc", ctx.probes_dir, v), "-n", std::to_string(kForcedCycles)};
    o.command_stdout = "/dev/null";
    o.crosscheck = true;
    // The workload's gctrace lines are the evidence: kept in the log folder, not printed.
    o.gctrace_log = fmt::format("{}/EXP-05-{}.gctrace", ctx.log_dir, v);
    auto r = run_gc(o, [](const std::string&) {});
    if (!r) {
      out.failed("gc --crosscheck", v, r.error().message);
      continue;
    }
    out.report("gc --crosscheck", v, *r);
    uint64_t forced = 0;
    for (const auto& c : r->data["cycles"]) forced += c["trigger"] == "forced";
    for (report::Verdict verdict : r->verdicts) {
      verdict.evidence += fmt::format(" ({} of them forced)", forced);
      verdict.hypothesis.clear();  // the workload line says it
      out.verdict("gc --crosscheck", v, verdict);
    }
  }
  fmt::print("  workload: go-probes/memlimit, 60 MiB live then 400 MiB of garbage, in a 100 MiB\n"
             "  memory cgroup: GOGC=100 alone, then GOMEMLIMIT at 75% of the cgroup's limit\n");
  for (const std::string& v : ctx.go_versions) {
    auto r = run_container(fmt::format("{}/{}/memlimit", ctx.probes_dir, v));
    if (!r) {
      out.failed("memlimit in a memory cgroup", v, r.error().message);
      continue;
    }
    report::Verdict verdict = r->verdict;
    verdict.hypothesis.clear();  // the workload line says it
    out.verdict("memlimit in a memory cgroup", v, verdict);
  }
}

}  // namespace gri::exp::gc
