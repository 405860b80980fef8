#include "cli/commands.h"
#include "exp/gc/experiment.h"

namespace gri::cli {

Command add_gc_command(CLI::App& app) {
  return tracing_command<exp::gc::GcOptions>(
      app, "gc", "EXP-05: every GC cycle of a process", "a live process",
      "Per cycle: trigger (heap, time, forced), heap live at the start, at mark termination and\n"
      "marked, the heap goal, GOGC, the memory limit, the two stop-the-world pauses, the\n"
      "concurrent mark time, and assists (calls and CPU time), read from the runtime's own\n"
      "fields when mark termination ends. gri lab EXP-05 adds the GOMEMLIMIT container run.\n"
      "-i SECONDS prints a line every interval while it runs, before the report: cycles in the\n"
      "interval and in all, heap live and goal at the last cycle, the longest GC pause.\n"
      "\n"
      "EXAMPLES:\n"
      "  sudo gri gc -p 4242 -d 30\n"
      "  sudo gri gc -p 4242 -i 1\n"
      "  sudo gri gc --crosscheck -- ./server\n"
      "  sudo gri gc --json gc.json -- ./batch-job -input data.csv\n"
      "  sudo gri gc --html gc.html --perfetto gc.trace.json -p 4242 -d 10\n",
      [](CLI::App* cmd, exp::gc::GcOptions& o) {
        cmd->add_flag("--crosscheck", o.crosscheck,
                      "with -- CMD: run it with GODEBUG=gctrace=1 and check every cycle against it");
        add_interval_option(cmd, o.live_interval_s,
                            "print a line every SECONDS (at least 0.1) while tracing, like vmstat");
      },
      exp::gc::run_gc);
}

}  // namespace gri::cli
