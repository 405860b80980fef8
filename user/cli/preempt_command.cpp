#include "cli/commands.h"
#include "exp/preempt/experiment.h"

namespace gri::cli {

Command add_preempt_command(CLI::App& app) {
  return tracing_command<exp::preempt::PreemptOptions>(
      app, "preempt", "EXP-02: PLACEHOLDER", "a live process",
      "EXAMPLES:\n"
      "  sudo gri preempt -p 4242 -d 10\n",
      nullptr, exp::preempt::run_preempt);
}

}  // namespace gri::cli
