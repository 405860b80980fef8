#include "exp/gc/lab.h"

#include <fmt/format.h>

#include "exp/gc/container.h"
#include "exp/gc/experiment.h"
#include "report/render.h"

namespace gri::exp::gc {

namespace {
constexpr int kForcedCycles = 20;
}  // namespace

bool lab_gc(const LabContext& ctx) {
  bool all_ok = true;
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
      fmt::print("  {:<7} cannot run: {}\n", v, r.error().message);
      all_ok = false;
      continue;
    }
    uint64_t forced = 0;
    for (const auto& c : r->data["cycles"]) forced += c["trigger"] == "forced";
    for (const report::Verdict& verdict : r->verdicts) {
      fmt::print("  {:<7} [{}] {} ({} of them forced)\n", v, verdict.result, verdict.evidence, forced);
      all_ok = all_ok && verdict.result == "verified";
    }
  }
  fmt::print("  workload: go-probes/memlimit, 60 MiB live then 400 MiB of garbage, in a 100 MiB\n"
             "  memory cgroup: GOGC=100 alone, then GOMEMLIMIT at 90% of the cgroup's limit\n");
  for (const std::string& v : ctx.go_versions) {
    auto r = run_container(fmt::format("{}/{}/memlimit", ctx.probes_dir, v));
    if (!r) {
      fmt::print("  {:<7} cannot run: {}\n", v, r.error().message);
      all_ok = false;
      continue;
    }
    fmt::print("  {:<7} [{}] {}\n", v, r->verdict.result, r->verdict.evidence);
    all_ok = all_ok && r->verdict.result == "verified";
  }
  return all_ok;
}

}  // namespace gri::exp::gc
