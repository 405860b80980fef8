// What every tracing command does around its own probes, in one place: check the target
// options, launch the command held (or attach to a PID), open its Go binary, time one uprobe
// hit on this machine; after the session, stop a command still running and fill the
// report's common part. An experiment adds only its probes, its reading and its verdicts.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "goelf/go_binary.h"
#include "probe/child.h"
#include "probe/target.h"
#include "probe/uprobe_check.h"
#include "report/report.h"
#include "session/session.h"

namespace gri::session {

// -p PID or -- CMD, -d SECONDS (DESIGN.md "CLI"): what every tracing command takes.
struct TargetOptions {
  std::optional<pid_t> pid;              // -p PID
  std::vector<std::string> command;      // -- CMD ARGS...
  std::vector<std::string> command_env;  // "NAME=value" added to the command's environment
  std::string command_stdout;            // the command's output goes here ("": gri's own)
  std::string command_stderr;
  std::optional<double> duration_s;      // -d SECONDS
  // -i SECONDS (gc, sched, alloc, timers): a line every interval while the session runs.
  // Not interval_s: AllocOptions has one, the period of its counter reads.
  std::optional<double> live_interval_s;
};

struct Traced {
  std::unique_ptr<probe::Target> target;
  goelf::GoBinary bin;
  probe::SelftestResult cost;  // one uprobe hit here, emulated and single-stepped
};

// Usage errors for what `name` ("sched") cannot take; then the launch (held: nothing of the
// command runs before the caller's probes are in and the session starts) or the attach.
// `extra_env` is added to the command's environment; `stderr_path` overrides the options'.
Result<Traced> open_traced(std::string_view name, const TargetOptions& options,
                           const std::vector<std::string>& extra_env = {},
                           const std::string& stderr_path = "");

// Ends the session: a launched command that did not exit is stopped (SIGTERM, then SIGKILL).
void end_session(Traced& traced, const SessionEnd& end);

// How the session will end, for the progress line: "stops after 5 s or Ctrl-C" (-d) or
// "Ctrl-C stops".
std::string how_it_stops(const TargetOptions& options);

// The report's common keys: experiment, target (pid, exe, Go version, GOMAXPROCS), duration,
// a degraded entry when GOMAXPROCS could not be read, and how a launched command ended.
report::Report begin_report(std::string_view experiment, const Traced& traced,
                            const SessionEnd& end);

// The estimate of what `hits` probe hits cost the target, each of them emulated (a PUSH
// after the stack check) or not.
report::Overhead overhead(const probe::SelftestResult& cost, uint64_t emulated_hits,
                          uint64_t stepped_hits);

}  // namespace gri::session
