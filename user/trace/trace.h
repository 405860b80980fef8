// gri trace: calls and entry-to-return latency of chosen Go functions of one process.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "goelf/go_binary.h"
#include "report/report.h"
#include "session/traced.h"

namespace gri::trace {

struct TraceOptions : session::TargetOptions {
  std::vector<std::string> functions;  // -f FUNC...
};

// Runs a whole session and returns its report. `progress` gets one-line status messages
// (attached, stopping) for stderr.
Result<report::Report> run_trace(const TraceOptions& options,
                                 const std::function<void(const std::string&)>& progress);

// Up to `n` function names of `bin` closest to `name` (for "unknown function" errors).
std::vector<std::string> closest_functions(const goelf::GoBinary& bin, const std::string& name,
                                           size_t n = 3);

// Percentile `q` (0-1) of a log2 histogram (slot s = [2^s, 2^(s+1)) ns), as the upper bound
// of the slot that holds it; 0 for an empty histogram.
uint64_t log2_percentile(const std::vector<uint64_t>& slots, double q);

}  // namespace gri::trace
