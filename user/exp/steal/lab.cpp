#include "exp/steal/lab.h"

#include <fmt/format.h>

#include "common/text_file.h"
#include "exp/steal/experiment.h"
#include "exp/steal/workload.h"

namespace gri::exp::steal {

namespace {

// Bursts of the workload: about half a second here.
constexpr int kBursts = 1000;

// gri steal on go-probes/steal with GOMAXPROCS=procs; the report's verdicts and the
// workload's own, printed; false when one is not "verified".
bool lab_run(const LabContext& ctx, const std::string& v, int procs) {
  StealOptions o;
  o.command = {fmt::format("{}/{}/steal", ctx.probes_dir, v), "-bursts", std::to_string(kBursts)};
  o.command_env = {fmt::format("GOMAXPROCS={}", procs)};
  o.command_stdout = fmt::format("{}/EXP-03-{}-p{}.out", ctx.log_dir, v, procs);
  auto r = run_steal(o, [](const std::string&) {});
  if (!r) {
    fmt::print("  {:<7} P={} cannot run: {}\n", v, procs, r.error().message);
    return false;
  }
  std::vector<report::Verdict> verdicts = r->verdicts;
  auto run = parse_spawner_run(read_text_file(o.command_stdout).value_or(""));
  if (!run) {
    fmt::print("  {:<7} P={} the workload printed no steal-probe line (see {})\n", v, procs,
               o.command_stdout);
    return false;
  }
  if (procs > 1) verdicts.push_back(spawner_verdict(*r, *run));
  bool ok = true;
  for (const report::Verdict& verdict : verdicts) {
    fmt::print("  {:<7} P={} [{}] {}: {}\n", v, procs, verdict.result, verdict.hypothesis,
               verdict.evidence);
    ok = ok && verdict.result == "verified";
  }
  fmt::print("  {:<7} P={} {} goroutines created, {} stolen; slowdown estimate {:.1f} ms\n", v,
             procs, run->created, r->data["stolen_goroutines"].get<uint64_t>(),
             r->overhead.est_target_overhead_s * 1e3);
  return ok;
}

}  // namespace

bool lab_steal(const LabContext& ctx) {
  // Two Ps: one thief, so a goroutine is stolen at most once (with a third P it may be
  // stolen again from the thief's queue) and stolen goroutines compare with those created.
  constexpr int procs = 2;
  fmt::print("  workload: go-probes/steal, one goroutine creating {} bursts of 32 short goroutines\n"
             "  on its P (pinned) while the other Ps idle; GOMAXPROCS=1, then GOMAXPROCS={}\n",
             kBursts, procs);
  bool all_ok = true;
  for (const std::string& v : ctx.go_versions) {
    all_ok = lab_run(ctx, v, 1) && all_ok;
    all_ok = lab_run(ctx, v, procs) && all_ok;
  }
  return all_ok;
}

}  // namespace gri::exp::steal
