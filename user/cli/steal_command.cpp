#include "cli/commands.h"
#include "exp/steal/experiment.h"

namespace gri::cli {

Command add_steal_command(CLI::App& app) {
  return tracing_command<exp::steal::StealOptions>(
      app, "steal", "EXP-03: PLACEHOLDER", "a live process",
      "EXAMPLES:\n"
      "  sudo gri steal -p 4242 -d 10\n",
      nullptr, exp::steal::run_steal);
}

}  // namespace gri::cli
