#include "exp/steal/lab.h"

#include <fmt/format.h>

#include "common/text_file.h"
#include "exp/steal/experiment.h"
#include "exp/steal/workload.h"
#include "lab/outcomes.h"

namespace gri::exp::steal {

namespace {

// Bursts of the workload: about half a second here.
constexpr int kBursts = 1000;

// gri steal on go-probes/steal with GOMAXPROCS=procs: the report's verdicts and the
// workload's own, to `out`.
void lab_run(const LabContext& ctx, const std::string& v, int procs, lab::Outcomes& out) {
  StealOptions o;
  o.command = {fmt::format("{}/{}/steal", ctx.probes_dir, v), "-bursts", std::to_string(kBursts)};
  o.command_env = {fmt::format("GOMAXPROCS={}", procs)};
  o.command_stdout = fmt::format("{}/EXP-03-{}-p{}.out", ctx.log_dir, v, procs);
  std::string workload = fmt::format("steal GOMAXPROCS={}", procs);
  auto r = run_steal(o, [](const std::string&) {});
  if (!r) {
    out.failed(workload, v, r.error().message);
    return;
  }
  out.report(workload, v, *r);
  std::vector<report::Verdict> verdicts = r->verdicts;
  auto run = parse_spawner_run(read_text_file(o.command_stdout).value_or(""));
  if (!run) {
    out.failed(workload, v,
               fmt::format("the workload printed no steal-probe line (see {})", o.command_stdout));
    return;
  }
  if (procs > 1) verdicts.push_back(spawner_verdict(*r, *run));
  for (const report::Verdict& verdict : verdicts) out.verdict(workload, v, verdict);
  fmt::print("  {:<7} P={} {} goroutines created, {} stolen; slowdown estimate {:.1f} ms\n", v,
             procs, run->created, r->data["stolen_goroutines"].get<uint64_t>(),
             r->overhead.est_target_overhead_s * 1e3);
}

}  // namespace

void lab_steal(const LabContext& ctx, lab::Outcomes& out) {
  // Two Ps: one thief, so a goroutine is stolen at most once (with a third P it may be
  // stolen again from the thief's queue) and stolen goroutines compare with those created.
  constexpr int procs = 2;
  fmt::print("  workload: go-probes/steal, one goroutine creating {} bursts of 32 short goroutines\n"
             "  on its P (pinned) while the other Ps idle; GOMAXPROCS=1, then GOMAXPROCS={}\n",
             kBursts, procs);
  for (const std::string& v : ctx.go_versions) {
    lab_run(ctx, v, 1, out);
    lab_run(ctx, v, procs, out);
  }
}

}  // namespace gri::exp::steal
