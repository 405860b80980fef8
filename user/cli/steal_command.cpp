#include "cli/commands.h"
#include "exp/steal/experiment.h"

namespace gri::cli {

Command add_steal_command(CLI::App& app) {
  return tracing_command<exp::steal::StealOptions>(
      app, "steal", "EXP-03: who steals goroutines from whom (P x P matrix)", "a live process",
      "Every steal attempt of the scheduler: runtime.runqgrab, called by stealWork/runqsteal for\n"
      "each victim P a spinning M tries. Counts attempts, steals that took goroutines and how\n"
      "many, as P x P matrices (row: thief P, column: victim P), the sizes of the batches, and\n"
      "whether the thief ran on another CPU than the victim P's M (its thread's CPU, from\n"
      "sched_switch). Probes: runqsteal's CALL of runqgrab and its test of the result, two\n"
      "emulated uprobes (about 0.5 us a hit here; never a uretprobe) per attempt.\n"
      "\n"
      "EXAMPLES:\n"
      "  sudo gri steal -p 4242 -d 10\n"
      "  sudo gri steal -- ./server -port 8080\n"
      "  sudo gri steal --json steal.json -- ./batch-job -workers 8\n"
      "  sudo gri steal --ret-probes -p 4242 -d 5\n",
      [](CLI::App* cmd, exp::steal::StealOptions& o) {
        cmd->add_flag("--ret-probes", o.ret_probes,
                      "probe runqgrab's entry and each of its RETs (single-stepped) instead of its "
                      "call and result test in runqsteal (emulated): a cross-check, dearer");
        cmd->add_flag("--no-cpus", o.no_cpus,
                      "do not track the CPUs of the target's threads (no sched_switch probe)");
      },
      exp::steal::run_steal);
}

}  // namespace gri::cli
