#include "exp/wb/lab.h"

#include <fmt/format.h>

#include "exp/wb/experiment.h"

namespace gri::exp::wb {

bool lab_wb(const LabContext& ctx) {
  bool all_ok = true;
  fmt::print("  workload: go-probes/wb, 2 goroutines rewriting pointers of a 100,000-node graph\n"
             "  during 20 forced collections\n");
  for (const std::string& v : ctx.go_versions) {
    gc::GcOptions o;
    o.command = {fmt::format("{}/{}/wb", ctx.probes_dir, v), "-n", "20"};
    o.command_stdout = "/dev/null";
    auto r = run_wb(o, [](const std::string&) {});
    if (!r) {
      fmt::print("  {:<7} cannot run: {}\n", v, r.error().message);
      all_ok = false;
      continue;
    }
    for (const report::Verdict& verdict : r->verdicts) {
      fmt::print("  {:<7} [{}] {}: {}\n", v, verdict.result, verdict.hypothesis, verdict.evidence);
      all_ok = all_ok && verdict.result == "verified";
    }
  }
  fmt::print("  the same workload with a 3,000-node graph and one slow writer under --exact\n"
             "  --watch main.watched: who greys graph[0] first in each cycle\n");
  for (const std::string& v : ctx.go_versions) {
    gc::GcOptions o;
    // One slow writer: with a probe on every marking call, full-speed writers outrun mark.
    o.command = {fmt::format("{}/{}/wb", ctx.probes_dir, v), "-n", "5", "-nodes", "3000",
                 "-writers", "1", "-batch", "16", "-pause", "1ms"};
    o.command_stdout = "/dev/null";
    o.mark_probes = true;
    o.watch = "main.watched";
    auto r = run_wb(o, [](const std::string&) {});
    if (!r) {
      fmt::print("  {:<7} cannot run: {}\n", v, r.error().message);
      all_ok = false;
      continue;
    }
    const report::Verdict& watch = r->verdicts.back();
    fmt::print("  {:<7} [{}] {}: {}\n", v, watch.result, watch.hypothesis, watch.evidence);
    all_ok = all_ok && watch.result == "verified";
  }
  return all_ok;
}

}  // namespace gri::exp::wb
