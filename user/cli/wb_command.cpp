#include "cli/commands.h"
#include "exp/wb/experiment.h"

namespace gri::cli {

Command add_wb_command(CLI::App& app) {
  return tracing_command<exp::gc::GcOptions>(
      app, "wb", "EXP-06: the write barrier, per GC cycle", "a live process",
      "Per GC cycle: the write-barrier buffer flushes (runtime.wbBufFlush1) during mark and the\n"
      "pointers they carried, read from the P's buffer; flushes while the GC was off; the\n"
      "largest flush against the buffer's capacity.\n"
      "--exact adds probes on the marking functions the version has (runtime.greyobject,\n"
      "runtime.tryDeferToSpanScan from Go 1.26, runtime.shade) and counts their calls per cycle.\n"
      "They run once per pointer the mark phase finds: gri prints what one hit costs first, and\n"
      "the mark phase runs several times longer while they are on.\n"
      "--watch VAR follows one object: VAR is a Go global (uintptr or pointer) in the target that\n"
      "holds its address; per cycle, gri reports who reached it first (a write-barrier flush, a\n"
      "mark worker, or a mutator's assist or stack scan), on which P, and when. Same probes as\n"
      "--exact, same cost.\n"
      "\n"
      "EXAMPLES:\n"
      "  sudo gri wb -p 4242 -d 10\n"
      "  sudo gri wb --json wb.json -- ./server\n"
      "  sudo gri wb --exact -- ./build/go-probes/go1.26/wb -n 5\n"
      "  sudo gri wb --watch main.watched -- ./build/go-probes/go1.26/wb -n 5\n",
      [](CLI::App* cmd, exp::gc::GcOptions& o) {
        cmd->add_flag("--exact", o.mark_probes,
                      "also count the marking calls per cycle (greyobject, shade, ...): costly");
        cmd->add_option("--watch", o.watch,
                        "follow the object whose address the Go global VAR holds, e.g. main.watched");
      },
      exp::wb::run_wb);
}

}  // namespace gri::cli
