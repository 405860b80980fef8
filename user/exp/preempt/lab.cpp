#include "exp/preempt/lab.h"

#include <fmt/format.h>

#include "exp/preempt/experiment.h"

namespace gri::exp::preempt {

namespace {
constexpr int kLoopMs = 2000;
}  // namespace

bool lab_preempt(const LabContext& ctx) {
  bool all_ok = true;
  fmt::print("  workload: go-probes/preempt, GOMAXPROCS=1, 2 goroutines in call-free loops for\n"
             "  {} ms of loop time; then the same with GODEBUG=asyncpreemptoff=1\n",
             kLoopMs);
  for (const std::string& v : ctx.go_versions) {
    PreemptOptions o;
    o.command = {fmt::format("{}/{}/preempt", ctx.probes_dir, v), "-ms", std::to_string(kLoopMs)};
    o.command_stdout = "/dev/null";
    auto r = run_preempt(o, [](const std::string&) {});
    if (!r) {
      fmt::print("  {:<7} cannot run: {}\n", v, r.error().message);
      all_ok = false;
      continue;
    }
    for (const report::Verdict& verdict : r->verdicts) {
      fmt::print("  {:<7} [{}] {}: {}\n", v, verdict.result, verdict.hypothesis, verdict.evidence);
      all_ok = all_ok && verdict.result == "verified";
    }
    // The contrast: without async preemption nothing cuts a call-free loop.
    o.command_env = {"GODEBUG=asyncpreemptoff=1"};
    o.command = {fmt::format("{}/{}/preempt", ctx.probes_dir, v), "-ms", std::to_string(kLoopMs / 4)};
    auto off = run_preempt(o, [](const std::string&) {});
    if (!off) {
      fmt::print("  {:<7} cannot run with asyncpreemptoff=1: {}\n", v, off.error().message);
      all_ok = false;
      continue;
    }
    const auto& d = off->data;
    bool uncut = d["async_preemptions"] == 0 && d["sigurg"] == 0;
    fmt::print("  {:<7} with GODEBUG=asyncpreemptoff=1: {} requests, {} SIGURG, {} async "
               "preemptions{}\n",
               v, d["preempt_requests"].dump(), d["sigurg"].dump(), d["async_preemptions"].dump(),
               uncut ? ": the loops ran uncut" : ": UNEXPECTED");
    all_ok = all_ok && uncut;
  }
  return all_ok;
}

}  // namespace gri::exp::preempt
