#include "cli/commands.h"
#include "exp/wb/experiment.h"

namespace gri::cli {

Command add_wb_command(CLI::App& app) {
  return tracing_command<exp::gc::GcOptions>(
      app, "wb", "EXP-06: the write barrier, per GC cycle", "a live process",
      "Per GC cycle: the write-barrier buffer flushes (runtime.wbBufFlush1) during mark and the\n"
      "pointers they carried, read from the P's buffer; flushes while the GC was off; the\n"
      "largest flush against the buffer's capacity. Not yet: --exact shading probes, --watch.\n"
      "\n"
      "EXAMPLES:\n"
      "  sudo gri wb -p 4242 -d 10\n"
      "  sudo gri wb --json wb.json -- ./server\n",
      nullptr, exp::wb::run_wb);
}

}  // namespace gri::cli
