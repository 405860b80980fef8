#include "exp/preempt/lab.h"

#include <fmt/format.h>

#include "exp/preempt/experiment.h"
#include "lab/outcomes.h"

namespace gri::exp::preempt {

namespace {
constexpr int kLoopMs = 2000;
}  // namespace

void lab_preempt(const LabContext& ctx, lab::Outcomes& out) {
  fmt::print("  workload: go-probes/preempt, GOMAXPROCS=1, 2 goroutines in call-free loops for\n"
             "  {} ms of loop time; then the same with GODEBUG=asyncpreemptoff=1, where sysmon\n"
             "  still asks but sends no signal, so the verdict should be refuted\n",
             kLoopMs);
  for (const std::string& v : ctx.go_versions) {
    PreemptOptions o;
    o.command = {fmt::format("{}/{}/preempt", ctx.probes_dir, v), "-ms", std::to_string(kLoopMs)};
    o.command_stdout = "/dev/null";
    auto r = run_preempt(o, [](const std::string&) {});
    if (!r) {
      out.failed("preempt", v, r.error().message);
      continue;
    }
    out.report("preempt", v, *r);
    for (const report::Verdict& verdict : r->verdicts) out.verdict("preempt", v, verdict);
    // The contrast: without async preemption nothing cuts a call-free loop.
    o.command_env = {"GODEBUG=asyncpreemptoff=1"};
    o.command = {fmt::format("{}/{}/preempt", ctx.probes_dir, v), "-ms", std::to_string(kLoopMs / 4)};
    const char* off_workload = "preempt GODEBUG=asyncpreemptoff=1";
    auto off = run_preempt(o, [](const std::string&) {});
    if (!off) {
      out.failed(off_workload, v, off.error().message);
      continue;
    }
    out.report(off_workload, v, *off);
    for (const report::Verdict& verdict : off->verdicts) {
      out.verdict(off_workload, v, verdict, verdict.id == "EXP-02.async" ? "refuted" : "verified");
    }
  }
}

}  // namespace gri::exp::preempt
