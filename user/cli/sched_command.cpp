#include "cli/commands.h"
#include "exp/sched/experiment.h"

namespace gri::cli {

Command add_sched_command(CLI::App& app) {
  return tracing_command<exp::sched::SchedOptions>(
      app, "sched", "EXP-01: PLACEHOLDER", "a live process",
      "EXAMPLES:\n"
      "  sudo gri sched -p 4242 -d 10\n",
      nullptr, exp::sched::run_sched);
}

}  // namespace gri::cli
