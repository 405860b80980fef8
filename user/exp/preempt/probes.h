// EXP-02's probes on one process: preemption requests (runtime.preemptone), SIGURG queued for
// its threads (signal_generate), async preemptions taken (runtime.asyncPreempt2) with the
// signal-to-preemption latency and the preempted slice's length (bpf/preempt.bpf.c).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "common/result.h"
#include "exp/preempt/timeline.h"
#include "goelf/go_binary.h"
#include "report/report.h"

namespace gri::exp::preempt {

struct PreemptCounts {
  // runtime.preemptone calls, by caller (nullopt: not probed, see degraded).
  std::optional<uint64_t> requests;
  uint64_t requests_sysmon = 0;   // from retake (an M without a P: sysmon)
  uint64_t requests_other = 0;    // from preemptall (stop the world, GC)
  uint64_t requests_unknown = 0;  // the caller's M could not be told
  uint64_t sigurg = 0;            // SIGURG generated for the target's threads
  uint64_t sigurg_merged = 0;     // ... while one was pending on that thread already
  std::optional<uint64_t> async;  // runtime.asyncPreempt2 entries (nullopt: not probed)
  uint64_t async_sysmon = 0;      // ... of slices sysmon asked to cut (those are timed)
  uint64_t latency_known = 0;     // async preemptions with their thread's SIGURG time
  uint64_t slice_exact = 0;       // slices timed from the P's previous async preemption
  uint64_t slice_lower_bound = 0;  // slices timed from sysmon's schedwhen (a lower bound)
  uint64_t slice_unknown = 0;
  std::vector<uint64_t> latency_slots;  // bpf/preempt.h layout, microseconds
  std::vector<uint64_t> slice_slots;
  std::vector<uint64_t> delivery_slots;  // SIGURG queued -> delivered to its thread
  std::vector<uint64_t> handler_slots;   // delivered -> asyncPreempt2
  std::vector<report::Degraded> degraded;
  uint64_t emulated_hits = 0;  // probe hits at a PUSH (emulated) and single-stepped ones
  uint64_t stepped_hits = 0;
  PreemptEvents timeline;  // each SIGURG and async preemption, timed (timeline.h)
};

class PreemptProbes {
 public:
  // Loads the BPF programs and attaches them for process `pid` of `bin`. A Go function or a
  // struct offset the binary lacks degrades the counts (PreemptCounts::degraded); a kernel
  // that cannot load or attach them is an error.
  static Result<std::unique_ptr<PreemptProbes>> attach(const goelf::GoBinary& bin, pid_t pid);
  ~PreemptProbes();

  Result<PreemptCounts> read() const;

 private:
  struct State;
  explicit PreemptProbes(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace gri::exp::preempt
