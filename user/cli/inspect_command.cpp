#include "cli/commands.h"
#include "inspect/inspect.h"
#include "inspect/render.h"

namespace gri::cli {

Command add_inspect_command(CLI::App& app) {
  struct State {
    std::string binary;
    int pid = 0;
    bool json = false;
    bool code_refs = false;
    CLI::Option* pid_option = nullptr;
  };
  auto s = std::make_shared<State>();
  CLI::App* cmd =
      app.add_subcommand("inspect", "what a Go binary offers to probes: version, functions, offsets");
  cmd->add_option("binary", s->binary, "a Go executable");
  s->pid_option = cmd->add_option("-p,--pid", s->pid, "the binary of this live process (containers too)");
  cmd->add_flag("--json", s->json, "print JSON (schema gri.inspect/1)");
  cmd->add_flag("--code-refs", s->code_refs,
                "with --json, for a BINARY with .symtab: the runtime code that refers to each "
                "global (what tools/gen-offsets learns to find globals in stripped builds)");
  cmd->footer(
      "Prints the Go version and build settings, architecture, PIE, stripped or not, the number\n"
      "of functions, every probe point the experiments use (address, file offset, entry after\n"
      "the stack check, RET sites, or why it is missing), runtime struct offsets (DWARF, or the\n"
      "offsets table of the Go version for stripped binaries) and runtime globals with how\n"
      "each was found: symtab, DWARF, or on a stripped binary from the code that uses it\n"
      "(code: runtime.gcStart+0x2f, a reference tools/gen-offsets learned for that release).\n"
      "\n"
      "EXAMPLES:\n"
      "  gri inspect ./server\n"
      "  sudo gri inspect -p 4242 --json | jq '.probes[] | select(.present | not)'\n");
  return {cmd, false, [s](const std::vector<std::string>&) {
            bool by_pid = s->pid_option->count() > 0;
            if (s->binary.empty() == !by_pid) {
              fmt::print(stderr, "gri: inspect takes a BINARY or -p PID (one of them); see gri inspect --help\n");
              return kExitUsage;
            }
            if (by_pid && s->pid <= 0) {
              fmt::print(stderr, "gri: bad PID {}: a process ID is a positive number\n", s->pid);
              return kExitUsage;
            }
            if (s->code_refs && (by_pid || !s->json)) {
              fmt::print(stderr, "gri: --code-refs goes with --json and a BINARY; see gri inspect --help\n");
              return kExitUsage;
            }
            auto in = by_pid ? inspect::inspect_process(s->pid)
                             : inspect::inspect_binary(s->binary, s->code_refs);
            if (!in) return fail(in.error());
            if (s->json) {
              fmt::print("{}\n", inspect::to_json(*in).dump(2));
            } else {
              fmt::print("{}", inspect::render_text(*in));
            }
            return 0;
          }};
}

}  // namespace gri::cli
