// One tracing session over a target whose probes are attached: start it, read GOMAXPROCS
// from the live runtime once it is up, wait for the end (exit, SIGINT/SIGTERM, duration).
// Shared by gri trace and the experiments.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

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

}  // namespace gri::session
