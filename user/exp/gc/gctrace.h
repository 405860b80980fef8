// The runtime's own account of GC cycles: lines that GODEBUG=gctrace=1 prints, one per
// completed cycle, e.g. (Go 1.26):
//   gc 3 @0.002s 11%: 0.12+0.28+0.12 ms clock, ..., 6->6->4 MB, 10 MB goal, ..., 2 P (forced)
// Format: src/runtime/mgc.go, gcMarkTermination, Go 1.19-1.27.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace gri::exp::gc {

struct GctraceCycle {
  uint64_t n = 0;       // the runtime's cycle number
  // The line ends in a newline. The last line of a program that exits right after
  // runtime.GC may be cut short: gcMarkTermination readies runtime.GC's caller, restarts
  // the world and only then prints (Go 1.26 src/runtime/mgc.go:1458, 1515, 1569).
  bool complete = true;
  // "(forced)": racy on Go 1.19, whose gcStart sets work.userForced before taking gcsema
  // (src/runtime/mgc.go:616, 630) while gcMarkTermination prints after restarting the world
  // (1059, 1127): 25 "(forced)" lines for 20 forced cycles, measured. Fixed by 1.26 (796).
  bool forced = false;
  // "A->B->C MB, G MB goal": heap at start, at mark termination, marked; the goal (MiB,
  // bytes >> 20). Absent when the line does not have them.
  std::optional<uint64_t> heap0_mb, heap1_mb, heap2_mb, goal_mb;
  // "X+Y+Z ms clock": sweep termination STW, concurrent mark, mark termination STW, as
  // printed (ms), with the printed number of decimals.
  std::optional<double> clock_ms[3];
  int clock_decimals[3] = {0, 0, 0};
  // "a+b/c/d+e ms cpu": b is the mutator assists' CPU time (gcController.assistTime).
  std::optional<double> assist_cpu_ms;
  int assist_decimals = 0;
};

// Every "gc N @..." line of text, in order; other lines are ignored.
std::vector<GctraceCycle> parse_gctrace(std::string_view text);

}  // namespace gri::exp::gc
