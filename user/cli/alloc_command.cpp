#include "cli/commands.h"
#include "exp/alloc/experiment.h"

namespace gri::cli {

Command add_alloc_command(CLI::App& app) {
  return tracing_command<exp::alloc::AllocOptions>(
      app, "alloc", "EXP-04: PLACEHOLDER", "a live process",
      "EXAMPLES:\n"
      "  sudo gri alloc -p 4242 -d 10\n",
      nullptr, exp::alloc::run_alloc);
}

}  // namespace gri::cli
