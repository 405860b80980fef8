#include "cli/commands.h"
#include "exp/maps/experiment.h"

namespace gri::cli {

Command add_maps_command(CLI::App& app) {
  return tracing_command<exp::maps::MapsOptions>(
      app, "maps", "EXP-07: map growth and CPU in map code (swiss or bucket maps)",
      "a live process",
      "Which map the target's runtime has (swiss from Go 1.24 on, bucket maps before and with\n"
      "GOEXPERIMENT=noswissmap), every growth of its maps: a bucket map's hashGrow (doubling or\n"
      "same-size), a swiss map's growToTable, table grow and split, with the\n"
      "map's entries, its slots before and after and the time the call took; and the share\n"
      "of the target's CPU time in map and hash functions, from cpu-clock samples.\n"
      "Probes: the entry and RETs of the growth functions only (a map grows about log2(n)\n"
      "times), never the lookups; RET probes are plain uprobes (never a uretprobe).\n"
      "--exact adds an entry probe on every map function the compiler calls (mapaccess1,\n"
      "mapassign_faststr, mapdelete, ...): lookups, inserts and deletes counted exactly, of\n"
      "every map or, with --watch, of that map alone; it prints the cost of a call first.\n"
      "It also adds growToSmall, a new swiss map's first insert (an HTTP server makes several\n"
      "per request), and per lookup the groups or buckets visited, the slots scanned one by\n"
      "one and the keys compared, from probes inside the lookup code (found in its\n"
      "disassembly; almost all on a jump, which the kernel emulates).\n"
      "The target's counters are read at the start and the end: hardware ones (cycles,\n"
      "instructions, cache references and misses, L1d and last-level load misses) where the\n"
      "CPU has a PMU, software ones (task-clock, page faults, context switches) always;\n"
      "--phase-mark FUNC reads them at each call of FUNC too, and splits --exact by phase.\n"
      "\n"
      "EXAMPLES:\n"
      "  sudo gri maps -p 4242 -d 10\n"
      "  sudo gri maps -- ./server -port 8080\n"
      "  sudo gri maps --json maps.json --sample-hz 499 -- ./batch-job\n"
      "  sudo gri maps --watch main.sessions -p 4242 -d 30\n"
      "  sudo gri maps --exact --watch main.sessions -p 4242 -d 5\n"
      "  sudo gri maps --exact --phase-mark main.phaseBegin -- go-probes/maps\n",
      [](CLI::App* cmd, exp::maps::MapsOptions& o) {
        cmd->add_option("--sample-hz", o.sample_hz,
                        "cpu-clock samples a second on each CPU, for the CPU in map code (0: none)")
            ->capture_default_str();
        cmd->add_flag("--exact", o.exact,
                      "count every lookup, insert and delete (a probe on each map function; "
                      "its cost is printed first)");
        cmd->add_option("--phase-mark", o.phase_mark,
                        "a function the workload calls where a phase begins (e.g. "
                        "main.phaseBegin): counters and --exact counts are split by phase; its "
                        "first argument, when a string, names the phase");
        cmd->add_option("--watch", o.watch,
                        "a global map variable (e.g. main.cache): its layout read from memory "
                        "each second (needs the symbol table)");
      },
      exp::maps::run_maps);
}

}  // namespace gri::cli
