// EXP-01's BPF side (bpf/sched.bpf.c): the kernel's view of the target's threads from
// sched_switch / sched_wakeup / sched_wakeup_new, and with --deep the schedule rounds seen by
// entry uprobes on runtime.findRunnable and runtime.execute.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "goelf/go_binary.h"

namespace gri::exp::sched {

struct ThreadTimes {
  uint32_t tid = 0;
  uint64_t on_cpu_ns = 0;
  uint64_t runq_ns = 0;     // runnable (woken or preempted), waiting for a CPU
  uint64_t off_cpu_ns = 0;  // blocked
  uint64_t switches = 0;
};

// Blocked time under one user stack at switch-out (frames innermost first, run-time
// addresses); an empty stack when the kernel could not store it.
struct BlockedStack {
  std::vector<uint64_t> frames;
  uint64_t ns = 0;
  uint64_t count = 0;
};

// Where findRunnable found the work execute runs (--deep): bpf/sched.h, enum sched_source.
inline constexpr std::array<const char*, 4> kSourceNames = {"local", "global", "netpoll", "steal"};

struct PRounds {
  int32_t p = 0;
  uint64_t rounds = 0;        // runtime.execute entries
  uint64_t found_rounds = 0;  // ... after a findRunnable entry on the same thread
  uint64_t find_ns = 0;       // findRunnable entry -> execute entry, summed
  std::array<uint64_t, 4> source{};
};

struct DeepPoint {
  std::string function;
  bool emulated = false;  // the entry is an emulated PUSH (cheap) rather than single-stepped
  uint64_t hits = 0;
};

struct SchedCounts {
  std::vector<ThreadTimes> threads;
  std::vector<BlockedStack> blocked;
  uint64_t lost_threads = 0;  // threads that did not fit the map
  uint64_t lost_stacks = 0;   // switch-outs whose stack could not be stored
  // --deep only:
  std::vector<PRounds> p_rounds;
  std::vector<DeepPoint> deep_points;
  std::vector<std::string> deep_missing;  // "runtime.globrunqget: <why>"
};

class SchedProbes {
 public:
  // The tracepoints, counting only process `pid`; with `deep`, the round probes too (those
  // whose function the binary lacks are listed in deep_missing; findRunnable and execute
  // themselves are required).
  static Result<std::unique_ptr<SchedProbes>> attach(const goelf::GoBinary& bin, pid_t pid,
                                                     bool deep);
  ~SchedProbes();

  // The totals so far; a thread's current state is counted up to now (CLOCK_MONOTONIC, the
  // clock of bpf_ktime_get_ns).
  Result<SchedCounts> read() const;

 private:
  struct State;
  explicit SchedProbes(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace gri::exp::sched
