#include "cli/commands.h"
#include "trace/trace.h"

namespace gri::cli {

Command add_trace_command(CLI::App& app) {
  return tracing_command<trace::TraceOptions>(
      app, "trace", "count and time Go functions of a process",
      "trace this live process (any PID namespace)",
      "Per function: calls, and the latency from entry to return per goroutine (correct when\n"
      "goroutines move between threads or their stacks move), as a log2 histogram with\n"
      "percentiles. Entry probes sit after the stack check; return probes are uprobes on every\n"
      "RET instruction, never uretprobes. With -- CMD the command starts held, is traced from\n"
      "its first instruction, and the report ends when it exits (Ctrl-C or -d stop it).\n"
      "\n"
      "EXAMPLES:\n"
      "  sudo gri trace -p 4242 -f net/http.(*conn).serve -d 10\n"
      "  sudo gri trace -f runtime.gcStart -f runtime.gcMarkTermination -- ./server -port 8080\n"
      "  sudo gri trace -p 4242 -f main.handle --json report.json\n"
      "  sudo gri trace -p 4242 -f main.handle -d 10 --html latency.html\n",
      [](CLI::App* cmd, trace::TraceOptions& o) {
        cmd->add_option("-f,--function", o.functions,
                        "a Go function, e.g. main.work or runtime.gcStart (repeat for more)")
            ->required();
      },
      trace::run_trace);
}

}  // namespace gri::cli
