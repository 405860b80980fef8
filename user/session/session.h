// One tracing session over a target whose probes are attached: start it, read GOMAXPROCS
// from the live runtime once it is up, wait for the end (exit, SIGINT/SIGTERM, duration).
// Shared by gri trace and the experiments.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "probe/target.h"

namespace gri::session {

struct SessionEnd {
  probe::Target::End end = probe::Target::End::kExited;
  double elapsed_s = 0;
  std::optional<int> gomaxprocs;
  std::string gomaxprocs_why;  // why it could not be read, when it could not
  // Run-time minus link-time addresses of the target's executable (non-zero for PIE), from
  // /proc/PID/maps once it ran: for a launched command, after its exec.
  std::optional<uint64_t> load_bias;
};

Result<SessionEnd> run_session(probe::Target& target, std::optional<double> duration_s);

// -i SECONDS: a line every interval while the session runs (gc, sched, alloc, timers).
// Shorter than this, a line would say more about gri's reading than about the target.
inline constexpr double kMinInterval = 0.1;
inline constexpr double kMaxInterval = 3600;

// The interval given to -i, checked: a usage error for a non-number, <= 0, below kMinInterval
// or above kMaxInterval.
Result<double> parse_interval(std::string_view text);
Status check_interval(double seconds);

// Called every interval while the session waits, with the seconds since it started.
struct Ticker {
  std::optional<double> interval_s;  // none: never called
  std::function<void(double elapsed_s)> tick;
};

// The same, calling ticker.tick at started + k * interval (k = 1, 2, ...) while the target
// runs, on the caller's thread. A tick that would fall at the end of the session (exit,
// signal, duration) is not called: the caller prints the last interval from its final read,
// so that the lines add up to the report.
Result<SessionEnd> run_session(probe::Target& target, std::optional<double> duration_s,
                               const Ticker& ticker);

// Interval lines as vmstat prints them: the header before the first line and again every
// kRepeat lines, each line flushed at once.
class LiveLines {
 public:
  static constexpr int kRepeat = 20;
  LiveLines(FILE* out, std::string header) : out_(out), header_(std::move(header)) {}
  void print(const std::string& line);
  int lines() const { return lines_; }

 private:
  FILE* out_;
  std::string header_;
  int lines_ = 0;
};

// Where interval lines go: stdout, the report's stream, unless stdout carries one JSON
// document (--json -), which report_command says by sending the command's own stdout to
// "/dev/stderr" (cli/command.h); then stderr.
FILE* live_stream(const std::string& command_stdout);

}  // namespace gri::session
