// The report model every command fills (DESIGN.md "JSON report"): the common keys, the
// experiment's own data, tables for the terminal, and verdicts. Renderers (render.h) only
// print it; nothing here computes.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "report/profile.h"
#include "report/timeline.h"

namespace gri::report {

struct Target {
  pid_t pid = 0;
  std::string exe;
  std::string go_version;
  std::optional<int> gomaxprocs;  // when it could be read
};

struct Overhead {
  uint64_t probe_hits = 0;
  double probe_cost_ns = 0;  // one uprobe hit on this machine, measured at start-up
  double est_target_overhead_s = 0;
};

struct Degraded {
  std::string point;   // a probe point, source or feature
  std::string reason;
};

struct Verdict {
  std::string id;
  std::string hypothesis;
  std::string result;  // "verified", "refuted", "inconclusive"
  std::string evidence;
};

// A table for the terminal; the same facts are in `data` for JSON.
struct Table {
  std::string title;
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;
};

struct Report {
  std::string experiment;  // "EXP-05" or "trace"
  Target target;
  double duration_s = 0;
  Overhead overhead;
  uint64_t lost_events = 0;
  std::vector<Degraded> degraded;
  nlohmann::ordered_json data = nlohmann::ordered_json::object();
  std::vector<Table> tables;
  std::vector<std::string> notes;  // one line each, after the tables
  std::vector<Verdict> verdicts;
  // For the pprof and Perfetto renderers; the text and JSON renderers skip both.
  std::optional<Profile> profile;  // what --pprof writes: stacks and their values
  Timeline timeline;
};

}  // namespace gri::report
