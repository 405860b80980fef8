#include "exp/wb/lab.h"

#include <fmt/format.h>

#include "exp/wb/experiment.h"
#include "lab/outcomes.h"

namespace gri::exp::wb {

void lab_wb(const LabContext& ctx, lab::Outcomes& out) {
  fmt::print("  workload: go-probes/wb, 2 goroutines rewriting pointers of a 100,000-node graph\n"
             "  during 20 forced collections\n");
  for (const std::string& v : ctx.go_versions) {
    gc::GcOptions o;
    o.command = {fmt::format("{}/{}/wb", ctx.probes_dir, v), "-n", "20"};
    o.command_stdout = "/dev/null";
    auto r = run_wb(o, [](const std::string&) {});
    if (!r) {
      out.failed("wb", v, r.error().message);
      continue;
    }
    out.report("wb", v, *r);
    for (const report::Verdict& verdict : r->verdicts) out.verdict("wb", v, verdict);
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
      out.failed("wb --exact --watch", v, r.error().message);
      continue;
    }
    out.report("wb --exact --watch", v, *r);
    out.verdict("wb --exact --watch", v, r->verdicts.back());
  }
}

}  // namespace gri::exp::wb
