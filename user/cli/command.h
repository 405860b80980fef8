// What the subcommands of gri share: exit codes, one-line errors, the target options every
// tracing command takes (-p PID, -d SECONDS, --json FILE, -- CMD), and the run of a command
// that ends in a report. Each subcommand lives in its own file as add_<name>_command(app).
#pragma once

#include <unistd.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "common/result.h"
#include "report/render.h"
#include "report/report.h"

namespace gri::cli {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

// "gri: MESSAGE" on stderr; the exit status.
int fail(const std::string& message);
int fail(const Error& error);  // 2 for a usage error, 1 otherwise

// Writes a report as JSON to `path` ("-": stdout).
int write_json(const report::Report& r, const std::string& path);

// Writes `content` to `path`, whole or not at all (a temporary file renamed into place).
int write_file(const std::string& path, const std::string& content);

// A subcommand: its CLI11 app and what runs it once parsed, given the words after "--".
struct Command {
  CLI::App* app = nullptr;
  bool takes_command = false;  // whether "-- CMD ARGS" is allowed
  std::function<int(const std::vector<std::string>& command)> run;
};

// What every tracing command takes (DESIGN.md): -p PID or -- CMD, -d SECONDS, --json FILE,
// --html FILE; --perfetto FILE and --pprof FILE where the command has timed events or stacks.
struct TargetArgs {
  int pid = 0;
  double duration = 0;
  std::string json;
  std::string html;
  std::string perfetto;
  std::string pprof;
  CLI::Option* pid_option = nullptr;
  CLI::Option* duration_option = nullptr;
};

void add_target_options(CLI::App* cmd, std::string_view name, TargetArgs& a, const char* pid_help);

// The commands whose reports have a profile (report::Report::profile) for --pprof, and
// timed events (report::Report::timeline) for --perfetto.
bool has_pprof(std::string_view command);
bool has_perfetto(std::string_view command);

// -i,--interval SECONDS: a line every interval while tracing (session::parse_interval checks
// it as the command line is parsed); `also` gets the value too.
void add_interval_option(CLI::App* cmd, std::optional<double>& into, const char* help,
                         std::function<void(double)> also = {});

// Writes the files a report goes to besides the terminal: --json, --html, --perfetto, --pprof.
int write_outputs(const report::Report& r, const TargetArgs& a);

// Copies the parsed target into a command's options (a session::TargetOptions); false, after
// one line on stderr, for a PID that is not a positive number.
template <typename Options>
bool take_target(const TargetArgs& a, const std::vector<std::string>& command, Options& o) {
  o.command = command;
  if (a.duration_option->count()) o.duration_s = a.duration;
  if (!a.pid_option->count()) return true;
  if (a.pid <= 0) {
    fmt::print(stderr, "gri: bad PID {}: a process ID is a positive number\n", a.pid);
    return false;
  }
  o.pid = a.pid;
  return true;
}

using Progress = std::function<void(const std::string&)>;

// A command that traces a target and ends in a report: root check, progress lines on
// stderr, the text report on stdout, JSON where --json says.
template <typename Options, typename Run>
int report_command(std::string_view name, Options options, const TargetArgs& args, Run run) {
  const std::string& json_path = args.json;
  if (geteuid() != 0) {
    return fail(fmt::format("{} attaches BPF probes and needs root: run it with sudo", name));
  }
  // JSON on stdout: the command's own stdout goes to stderr, so stdout stays one document.
  if (json_path == "-") options.command_stdout = "/dev/stderr";
  auto r = run(options, Progress([](const std::string& line) { fmt::print(stderr, "gri: {}\n", line); }));
  if (!r) return fail(r.error());
  if (json_path != "-") fmt::print("{}", report::render_text(*r));
  return write_outputs(*r, args);
}

// The usual tracing command: `Options` (a session::TargetOptions and its own fields, which
// `add_flags` declares) run by `run`. The options live as long as the command.
template <typename Options, typename Run>
Command tracing_command(CLI::App& app, const char* name, const char* description,
                        const char* pid_help, const char* footer,
                        const std::function<void(CLI::App*, Options&)>& add_flags, Run run) {
  struct State {
    Options options;
    TargetArgs args;
  };
  auto state = std::make_shared<State>();
  CLI::App* cmd = app.add_subcommand(name, description);
  add_target_options(cmd, name, state->args, pid_help);
  if (add_flags) add_flags(cmd, state->options);
  cmd->footer(footer);
  return {cmd, true, [state, name, run](const std::vector<std::string>& command) {
            if (!take_target(state->args, command, state->options)) return kExitUsage;
            return report_command(name, state->options, state->args, run);
          }};
}

}  // namespace gri::cli
