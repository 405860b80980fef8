// EXP-03's probes: runtime.runqgrab's call (who tried to steal from whom), where its result
// is read (how many goroutines it took), and sched_switch of the target's threads (the
// victim's CPU), with their counts read back as P x P matrices.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "exp/steal/timeline.h"
#include "goelf/go_binary.h"

namespace gri::exp::steal {

struct StealProbeOptions {
  // Probe runqgrab's own entry and every one of its RETs (single-stepped probes) instead of
  // its call and the test of its result in runqsteal (emulated probes): a check of those.
  bool ret_probes = false;
  // Track the CPU of each target thread (sched_switch), for same-CPU vs cross-CPU steals.
  bool cpus = true;
};

// A square matrix, row = thief P id, column = victim P id.
using Matrix = std::vector<std::vector<uint64_t>>;

struct StealCounts {
  uint64_t attempts = 0;  // runqgrab calls: one per victim P a spinning M tried
  uint64_t returns = 0;   // results read
  uint64_t zero_returns = 0;  // ... that were 0 (failed attempts; not read at RETs that only return 0)
  uint64_t steals = 0;    // calls that took at least one goroutine
  uint64_t stolen = 0;    // goroutines taken
  uint64_t no_entry = 0;  // RETs with no entry seen (the session began mid-call)
  // Calls entered whose result was not read when the counts were: in flight as the session
  // ended (a command that exits mid-steal never returns from it). Exact only when every
  // return path is probed (no RET skipped), so that each read clears its entry.
  uint64_t in_flight = 0;
  uint64_t p_out_of_range = 0;
  uint64_t over_half = 0;
  uint64_t same_cpu = 0, cross_cpu = 0;
  uint64_t victim_no_m = 0, victim_cpu_unknown = 0;
  uint64_t switch_ins = 0;
  Matrix attempt_matrix, steal_matrix, stolen_matrix, cross_cpu_matrix;  // STEAL_MAX_PS square
  std::vector<uint64_t> batch_sizes;  // [n]: steals of n goroutines, n = 0..128
  StealEvents timeline;  // each steal, timed (--perfetto); read() ends its recording
};

// What was attached, for the report.
struct StealAttach {
  std::string unavailable;       // why nothing could be probed ("": probed)
  std::string cpus_unavailable;  // why victim CPUs are not tracked ("": tracked)
  bool entry_emulated = false;   // the call is seen at an emulated CALL or PUSH
  bool result_emulated = false;  // the result is read at runqsteal's Jcc: an emulated probe
  std::string entry_site;        // where a call is seen, in words
  std::string result_site;       // where the result is read, in words
  std::string result_fallback;   // why not at runqsteal's call and test ("": there)
  size_t returns_probed = 0;     // RET sites with a probe (0 when read in runqsteal)
  size_t returns_skipped = 0;    // RET sites that can only return 0, left unprobed
};

class StealProbes {
 public:
  // Loads and attaches the probes for process `pid` running `bin`. A missing probe point or
  // field is not an error: `attach_info().unavailable` says why, and read() gives zeros.
  static Result<std::unique_ptr<StealProbes>> attach(const goelf::GoBinary& bin, pid_t pid,
                                                     const StealProbeOptions& options);
  ~StealProbes();

  const StealAttach& attach_info() const;
  Result<StealCounts> read() const;

 private:
  struct State;
  explicit StealProbes(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace gri::exp::steal
