// gri: the command line. Parses, dispatches, and turns errors into exit codes:
// 0 success, 1 runtime failure, 2 bad usage; every error is one line on stderr.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "doctor/doctor.h"
#include "exp/gc/experiment.h"
#include "exp/wb/experiment.h"
#include "inspect/inspect.h"
#include "inspect/render.h"
#include "lab/lab.h"
#include "probe/libbpf_log.h"
#include "report/render.h"
#include "trace/trace.h"

namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

int fail(const std::string& message) {
  fmt::print(stderr, "gri: {}\n", message);
  return kExitFailure;
}

int fail(const gri::Error& error) {
  fmt::print(stderr, "gri: {}\n", error.message);
  return error.usage ? kExitUsage : kExitFailure;
}

int doctor_command(bool json) {
  auto sys = gri::doctor::real_system();
  if (!gri::doctor::privileged(*sys)) {
    return fail("doctor needs root (or CAP_BPF and CAP_PERFMON): run it with sudo");
  }
  auto checks = gri::doctor::run_checks(*sys);
  if (json) {
    fmt::print("{}\n", gri::doctor::to_json(checks).dump(2));
  } else {
    fmt::print("{}", gri::doctor::render_text(checks));
  }
  return gri::doctor::can_trace(checks) ? 0 : kExitFailure;
}

int inspect_command(const std::string& binary, std::optional<int> pid, bool json) {
  if (binary.empty() == !pid.has_value()) {
    fmt::print(stderr, "gri: inspect takes a BINARY or -p PID (one of them); see gri inspect --help\n");
    return kExitUsage;
  }
  if (pid && *pid <= 0) {
    fmt::print(stderr, "gri: bad PID {}: a process ID is a positive number\n", *pid);
    return kExitUsage;
  }
  auto in = pid ? gri::inspect::inspect_process(*pid) : gri::inspect::inspect_binary(binary);
  if (!in) return fail(in.error());
  if (json) {
    fmt::print("{}\n", gri::inspect::to_json(*in).dump(2));
  } else {
    fmt::print("{}", gri::inspect::render_text(*in));
  }
  return 0;
}

// Writes a report as JSON to `path` ("-": stdout).
int write_json(const gri::report::Report& r, const std::string& path) {
  std::string text = gri::report::render_json(r).dump(2) + "\n";
  if (path == "-") {
    fmt::print("{}", text);
    return 0;
  }
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f || std::fwrite(text.data(), 1, text.size(), f) != text.size() || std::fclose(f) != 0) {
    return fail(fmt::format("cannot write {}: {}", path, std::strerror(errno)));
  }
  return 0;
}

// A command that traces a target and ends in a report (trace, gc, wb): root check,
// progress lines on stderr, the text report on stdout, JSON where --json says.
template <typename Options, typename Run>
int report_command(std::string_view name, Options options, const std::string& json_path, Run run) {
  if (geteuid() != 0) {
    return fail(fmt::format("{} attaches BPF probes and needs root: run it with sudo", name));
  }
  // JSON on stdout: the command's own stdout goes to stderr, so stdout stays one document.
  if (json_path == "-") options.command_stdout = "/dev/stderr";
  auto r = run(options, [](const std::string& line) { fmt::print(stderr, "gri: {}\n", line); });
  if (!r) return fail(r.error());
  if (json_path != "-") fmt::print("{}", gri::report::render_text(*r));
  return json_path.empty() ? 0 : write_json(*r, json_path);
}

// What every tracing command takes (DESIGN.md): -p PID or -- CMD, -d SECONDS, --json FILE.
struct TargetArgs {
  int pid = 0;
  double duration = 0;
  std::string json;
  CLI::Option* pid_option = nullptr;
  CLI::Option* duration_option = nullptr;
};

void add_target_options(CLI::App* cmd, TargetArgs& a, const char* pid_help) {
  a.pid_option = cmd->add_option("-p,--pid", a.pid, pid_help);
  a.duration_option = cmd->add_option("-d,--duration", a.duration, "stop after SECONDS");
  cmd->add_option("--json", a.json, "also write the report as JSON to FILE (- : stdout only)");
}

// Copies the parsed target into a command's options; false (after one line on stderr) for a
// PID that is not a positive number.
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

int lab_command(const gri::lab::LabOptions& options) {
  if (geteuid() != 0) return fail("lab attaches BPF probes and needs root: run it with sudo");
  auto ok = gri::lab::run_lab(options);
  if (!ok) return fail(ok.error());
  return *ok ? 0 : kExitFailure;
}

}  // namespace

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

  bool doctor_json = false;
  CLI::App* doctor = app.add_subcommand("doctor", "check that this machine can trace Go with gri");
  doctor->add_flag("--json", doctor_json, "print the checks as JSON");
  doctor->footer(
      "One line per check: pass, warn or fail, what was found, and the fix.\n"
      "Exit status: 0 when gri can trace here, 1 when it cannot.\n"
      "\n"
      "EXAMPLES:\n"
      "  sudo gri doctor\n"
      "  sudo gri doctor --json | jq '.checks[] | select(.status != \"pass\")'\n");

  std::string inspect_binary;
  int inspect_pid = 0;
  bool inspect_json = false;
  CLI::App* inspect =
      app.add_subcommand("inspect", "what a Go binary offers to probes: version, functions, offsets");
  inspect->add_option("binary", inspect_binary, "a Go executable");
  CLI::Option* inspect_pid_option =
      inspect->add_option("-p,--pid", inspect_pid, "the binary of this live process (containers too)");
  inspect->add_flag("--json", inspect_json, "print JSON (schema gri.inspect/1)");
  inspect->footer(
      "Prints the Go version and build settings, architecture, PIE, stripped or not, the number\n"
      "of functions, every probe point the experiments use (address, file offset, entry after\n"
      "the stack check, RET sites, or why it is missing), runtime struct offsets (DWARF, or the\n"
      "offsets table of the Go version for stripped binaries) and runtime globals.\n"
      "\n"
      "EXAMPLES:\n"
      "  gri inspect ./server\n"
      "  sudo gri inspect -p 4242 --json | jq '.probes[] | select(.present | not)'\n");

  gri::trace::TraceOptions trace_options;
  TargetArgs trace_args;
  CLI::App* trace = app.add_subcommand("trace", "count and time Go functions of a process");
  add_target_options(trace, trace_args, "trace this live process (any PID namespace)");
  trace->add_option("-f,--function", trace_options.functions,
                    "a Go function, e.g. main.work or runtime.gcStart (repeat for more)")
      ->required();
  trace->footer(
      "Per function: calls, and the latency from entry to return per goroutine (correct when\n"
      "goroutines move between threads or their stacks move), as a log2 histogram with\n"
      "percentiles. Entry probes sit after the stack check; return probes are uprobes on every\n"
      "RET instruction, never uretprobes. With -- CMD the command starts held, is traced from\n"
      "its first instruction, and the report ends when it exits (Ctrl-C or -d stop it).\n"
      "\n"
      "EXAMPLES:\n"
      "  sudo gri trace -p 4242 -f net/http.(*conn).serve -d 10\n"
      "  sudo gri trace -f runtime.gcStart -f runtime.gcMarkTermination -- ./server -port 8080\n"
      "  sudo gri trace -p 4242 -f main.handle --json report.json\n");

  gri::exp::gc::GcOptions gc_options;
  TargetArgs gc_args;
  CLI::App* gc = app.add_subcommand("gc", "EXP-05: every GC cycle of a process");
  add_target_options(gc, gc_args, "a live process");
  gc->add_flag("--crosscheck", gc_options.crosscheck,
               "with -- CMD: run it with GODEBUG=gctrace=1 and check every cycle against it");
  gc->footer(
      "Per cycle: trigger (heap, time, forced), heap live at the start, at mark termination and\n"
      "marked, the heap goal, GOGC, the memory limit, the two stop-the-world pauses, the\n"
      "concurrent mark time, and assists (calls and CPU time), read from the runtime's own\n"
      "fields when mark termination ends. gri lab EXP-05 adds the GOMEMLIMIT container run.\n"
      "\n"
      "EXAMPLES:\n"
      "  sudo gri gc -p 4242 -d 30\n"
      "  sudo gri gc --crosscheck -- ./server\n"
      "  sudo gri gc --json gc.json -- ./batch-job -input data.csv\n");

  gri::exp::gc::GcOptions wb_options;
  TargetArgs wb_args;
  CLI::App* wb = app.add_subcommand("wb", "EXP-06: the write barrier, per GC cycle");
  add_target_options(wb, wb_args, "a live process");
  wb->footer(
      "Per GC cycle: the write-barrier buffer flushes (runtime.wbBufFlush1) during mark and the\n"
      "pointers they carried, read from the P's buffer; flushes while the GC was off; the\n"
      "largest flush against the buffer's capacity. Not yet: --exact shading probes, --watch.\n"
      "\n"
      "EXAMPLES:\n"
      "  sudo gri wb -p 4242 -d 10\n"
      "  sudo gri wb --json wb.json -- ./server\n");

  gri::lab::LabOptions lab_options;
  std::string go_versions;
  CLI::App* lab = app.add_subcommand("lab", "run experiments on the bundled Go workloads");
  lab->add_option("experiments", lab_options.experiments,
                  "EXP-01 ... EXP-08, command names (gc, sched, ...), or all (default)");
  lab->add_option("--go", go_versions, "comma-separated Go versions, e.g. 1.19,1.26 (default: all built)");
  lab->add_option("--out", lab_options.out_dir, "keep the workloads' logs in this folder");
  lab->add_option("--probes", lab_options.probes_dir,
                  "folder of built workloads (default: go-probes beside the gri binary)");
  lab->footer(
      "EXAMPLES:\n"
      "  sudo gri lab all\n"
      "  sudo gri lab EXP-05 --go 1.19,1.27 --out /tmp/lab\n");

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
    // "gri bogus": CLI11 only says a subcommand is required; name the unknown word.
    if (argc > 1 && argv[1][0] != '-') {
      std::vector<std::string> names;
      for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
        names.push_back(sub->get_name());
      }
      if (std::find(names.begin(), names.end(), argv[1]) == names.end()) {
        what = fmt::format("unknown command '{}' (commands: {})", argv[1], fmt::join(names, ", "));
      }
    }
    fmt::print(stderr, "gri: {}; see gri --help\n", what.empty() ? e.get_name() : what);
    return kExitUsage;
  }
  gri::probe::set_libbpf_verbose(verbose);
  if (!command.empty() && !*trace && !*gc && !*wb) {
    fmt::print(stderr, "gri: -- CMD is for gri trace and the experiments; see gri --help\n");
    return kExitUsage;
  }

  if (*doctor) return doctor_command(doctor_json);
  if (*inspect) {
    return inspect_command(inspect_binary,
                           inspect_pid_option->count() ? std::optional<int>(inspect_pid) : std::nullopt,
                           inspect_json);
  }
  if (*gc) {
    if (!take_target(gc_args, command, gc_options)) return kExitUsage;
    return report_command("gc", gc_options, gc_args.json, gri::exp::gc::run_gc);
  }
  if (*wb) {
    if (!take_target(wb_args, command, wb_options)) return kExitUsage;
    return report_command("wb", wb_options, wb_args.json, gri::exp::wb::run_wb);
  }
  if (*trace) {
    if (!take_target(trace_args, command, trace_options)) return kExitUsage;
    return report_command("trace", trace_options, trace_args.json, gri::trace::run_trace);
  }
  if (*lab) {
    if (!go_versions.empty()) {
      std::stringstream ss(go_versions);
      std::string v;
      while (std::getline(ss, v, ',')) {
        if (!v.empty()) lab_options.go_versions.push_back(v);
      }
    }
    return lab_command(lab_options);
  }
  return kExitUsage;
}
