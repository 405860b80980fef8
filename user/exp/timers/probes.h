// EXP-08's probes: entry probes on the runtime's timer functions (add, modify, delete, run),
// on netpollBreak, and the target's epoll waits (the raw sys_enter/sys_exit tracepoints).
// Counted in BPF maps, read once at the end.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "common/result.h"
#include "goelf/go_binary.h"

namespace gri::exp::timers {

enum class Op { kAdd = 0, kModify = 1, kDelete = 2, kRun = 3 };
inline constexpr int kOps = 4;
const char* op_name(Op op);  // "add", "modify", "delete", "run"

// The functions probed for each op in this binary's runtime, and how.
struct TimerFunctions {
  bool rewrite = false;  // the 1.23 design (p.timers struct, (*timer) methods)
  std::string add, modify, remove, run;
};
// From the functions the binary has (GO-RUNTIME.md section 9); an error names what is missing.
Result<TimerFunctions> timer_functions(const goelf::GoBinary& bin);

struct TimersAttach {
  TimerFunctions functions;
  std::vector<std::string> probed;  // "runtime.modtimer (entry)", ...
  uint64_t probe_sites = 0;
  bool entries_emulated = true;
  bool syscalls = false;            // the raw syscall tracepoints (--netpoll, --locks)
  std::string netpoll_unavailable;  // why epoll waits are not seen ("": seen)
  bool locks = false;               // runtime.lock2 probed (--locks)
  bool lock_emulated = false;       // ... on an emulated instruction
};

// --locks: one P's timers lock.
struct LockCounts {
  uint64_t acquisitions = 0, waits = 0, sleeps = 0, sleep_ns = 0;
};

struct TimersCounts {
  // (op, P the caller ran on, the timer's function pc) -> calls; runs by their runner P.
  std::map<std::tuple<int, int32_t, uint64_t>, uint64_t> ops;
  // (runner P, owner P, function pc) -> timers run.
  std::map<std::tuple<int32_t, int32_t, uint64_t>, uint64_t> runs;
  // (function pc, lateness bucket) -> timers run.
  std::map<std::pair<uint64_t, uint32_t>, uint64_t> late;
  std::map<uint64_t, uint64_t> breaks;  // netpollBreak by return address
  uint64_t polls = 0, poll_ns = 0, poll_timed_out = 0, poll_forever = 0;
  uint64_t nop = 0, lost = 0;
  uint64_t lock_hits = 0;               // --locks: lock2 calls, any lock
  std::map<int32_t, LockCounts> locks;  // --locks: by P id (Ps with acquisitions)
};

// A lateness bucket's lower bound and width in ns (bpf/timers.h: 8 buckets per octave).
std::pair<uint64_t, uint64_t> late_bucket_range(uint32_t bucket);

class TimersProbes {
 public:
  // `locks`: also runtime.lock2 (every runtime lock's acquisition) and the futex waits of
  // the threads that found a timers lock held. `netpoll`: the target's epoll waits. Either
  // turns on the raw sys_enter/sys_exit tracepoints, which every system call of every
  // process then passes through.
  static Result<std::unique_ptr<TimersProbes>> attach(const goelf::GoBinary& bin, pid_t pid,
                                                      bool ops, bool locks, bool netpoll);
  ~TimersProbes();
  const TimersAttach& attach_info() const;
  Result<TimersCounts> read() const;

 private:
  struct State;
  explicit TimersProbes(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace gri::exp::timers
