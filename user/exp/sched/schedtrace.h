// GODEBUG=schedtrace=MS lines, the runtime's own account of its run queues, to check gri's
// snapshots against in the same run. runtime/proc.go schedtrace (go1.19-1.27) prints, every
// MS milliseconds:
//
//   SCHED 1011ms: gomaxprocs=2 idleprocs=0 threads=4 spinningthreads=0 [needspinning=1]
//   idlethreads=1 runqueue=3 [ 0 3 ] [schedticks=[ 30 28 ]]
//
// runqueue is the global queue (sched.runqsize / runq.size), the bracket after it the local
// queue of each P (runqtail - runqhead, runnext not counted). go1.19 prints "[0 3]", go1.26
// "[ 0 3 ]"; needspinning and schedticks are newer.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace gri::exp::sched {

struct SchedtraceLine {
  uint64_t ms = 0;
  int64_t idleprocs = 0;
  int64_t global_runq = 0;
  std::vector<int64_t> local_runq;  // per P
};

// Every well-formed SCHED line of `text`; other lines (the program's own output) are skipped.
std::vector<SchedtraceLine> parse_schedtrace(std::string_view text);

}  // namespace gri::exp::sched
