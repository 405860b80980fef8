#include "cli/commands.h"
#include "exp/alloc/experiment.h"

namespace gri::cli {

Command add_alloc_command(CLI::App& app) {
  return tracing_command<exp::alloc::AllocOptions>(
      app, "alloc", "EXP-04: tiny, small (per size class) and large allocations, and their sites",
      "a live process",
      "Counts come from the runtime's own counters (runtime.memstats.heapStats, what\n"
      "runtime/metrics reads), read from outside with nothing probed on the allocation path:\n"
      "objects per size class (sizes from the binary's own table), tiny allocations, large\n"
      "objects and bytes. A command is held at runtime.exit for a last, exact read. Sites come\n"
      "from cpu-clock samples whose stack passes through the allocator. --sites=exact and\n"
      "--exact add probes on hot paths and print their cost first.\n"
      "-i SECONDS reads the counters every interval and prints a line each time, before the\n"
      "report: objects and MiB allocated per second, tiny and large allocations in the\n"
      "interval (without -i they are read every 0.5 s, silently).\n"
      "\n"
      "EXAMPLES:\n"
      "  sudo gri alloc -p 4242 -d 10\n"
      "  sudo gri alloc -p 4242 -i 1\n"
      "  sudo gri alloc -- ./server -bench\n"
      "  sudo gri alloc --exact --json alloc.json -- ./batch-job\n"
      "  sudo gri alloc --sites=exact --top 20 -p 4242 -d 5\n"
      "  go build -gcflags=-m -o app . 2>escape.txt && sudo gri alloc --escape escape.txt -- "
      "./app\n",
      [](CLI::App* cmd, exp::alloc::AllocOptions& o) {
        cmd->add_option("--sites", o.sites,
                        "allocation sites: sample (cpu-clock samples, default), exact (also a "
                        "probe on mcache.refill), none");
        cmd->add_option("--sample-hz", o.sample_hz,
                        "cpu-clock samples a second on each CPU, for the allocation sites")
            ->capture_default_str()
            ->check(CLI::Range(uint64_t{1}, uint64_t{10000}));
        cmd->add_flag("--exact", o.exact,
                      "probe runtime.mallocgc: every allocation by size and pointer-ness (slow)");
        add_interval_option(cmd, o.live_interval_s,
                            "read the counters and print a line every SECONDS (at least 0.1; without -i: "
                            "read every 0.5 s, no lines)",
                            [&o](double s) { o.interval_s = s; });
        cmd->add_option("--top", o.top, "allocation sites shown (default 10)");
        cmd->add_option("--escape", o.escape_report,
                        "output of go build -gcflags=-m for the target: compare its heap escapes "
                        "with the sites seen in package main");
      },
      exp::alloc::run_alloc);
}

}  // namespace gri::cli
