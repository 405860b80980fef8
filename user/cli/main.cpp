// gri: the command line. Parses, dispatches, and turns errors into exit codes:
// 0 success, 1 runtime failure, 2 bad usage; every error is one line on stderr.
#include <signal.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "cli/commands.h"
#include "probe/libbpf_log.h"

using namespace gri::cli;

int main(int argc, char** argv) {
  // A held command that died before release must not kill gri through its closed pipe.
  signal(SIGPIPE, SIG_IGN);
  CLI::App app{"gri: Go Runtime Insider, an eBPF tracer that verifies what the Go runtime does"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "gri 0.1.0");
  bool verbose = false;
  app.add_flag("-v,--verbose", verbose, "show libbpf's log on stderr");
  app.footer(
      "EXAMPLES:\n"
      "  sudo gri doctor              can this machine trace Go?\n"
      "  gri inspect ./server         Go version, probe points and runtime offsets of a binary\n"
      "  sudo gri trace -p 4242 -f main.handle -d 10   calls and latency of a Go function\n"
      "  sudo gri lab all             run every experiment on the bundled workloads\n"
      "\n"
      "Run 'gri COMMAND --help' for a command's options.\n");

  const std::vector<Command> commands = {
      add_doctor_command(app),  add_inspect_command(app), add_trace_command(app),
      add_sched_command(app),   add_preempt_command(app), add_steal_command(app),
      add_alloc_command(app),   add_gc_command(app),      add_wb_command(app),
      add_maps_command(app),    add_timers_command(app),  add_lab_command(app),
  };

  // Everything after "--" is the command to trace, taken as it is (its own flags included).
  std::vector<std::string> command;
  int ours = argc;
  for (int i = 1; i < argc; i++) {
    if (std::string_view(argv[i]) == "--") {
      ours = i;
      command.assign(argv + i + 1, argv + argc);
      if (command.empty()) {
        fmt::print(stderr, "gri: nothing after --: give the command to trace\n");
        return kExitUsage;
      }
      break;
    }
  }
  try {
    app.parse(ours, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string what = e.what();
    // "gri bogus", "gri --nope": CLI11 only says a subcommand is required; name the word.
    std::string_view first;
    for (int i = 1; i < ours && first.empty(); i++) {
      std::string_view a = argv[i];
      if (a != "-v" && a != "--verbose") first = a;
    }
    std::vector<std::string> names;
    for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
      names.push_back(sub->get_name());
    }
    if (first.starts_with("-") && first != "-h" && first != "--help") {
      what = fmt::format("unknown option '{}'", first);
    } else if (!first.empty() && std::find(names.begin(), names.end(), first) == names.end()) {
      what = fmt::format("unknown command '{}' (commands: {})", first, fmt::join(names, ", "));
    }
    fmt::print(stderr, "gri: {}; see gri --help\n", what.empty() ? e.get_name() : what);
    return kExitUsage;
  }
  gri::probe::set_libbpf_verbose(verbose);
  for (const Command& c : commands) {
    if (!*c.app) continue;
    if (!command.empty() && !c.takes_command) {
      fmt::print(stderr, "gri: {} takes no -- CMD; see gri {} --help\n", c.app->get_name(),
                 c.app->get_name());
      return kExitUsage;
    }
    return c.run(command);
  }
  return kExitUsage;
}
