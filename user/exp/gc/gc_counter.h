// GC experiment (EXP-05), first piece: counts runtime.gcStart entries (all, and those of
// runtime.GC) and completed cycles (runtime.gcMarkTermination) of one process.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"

namespace gri::exp::gc {

// One completed cycle, as gcMarkTermination left it (the fields gctrace prints from).
struct GcCycle {
  uint32_t numgc = 0;  // gctrace's "gc N"
  uint64_t heap0 = 0;  // heap live at the start ("A" of A->B->C MB)
  uint64_t heap1 = 0;  // heap live at mark termination ("B")
  uint64_t heap2 = 0;  // heap marked ("C")
  uint64_t heap_goal = 0;
  int32_t gc_percent = 0;
  int64_t memory_limit = 0;
  bool user_forced = false;
  uint32_t trigger_kind = 0;  // of the latest runtime.gcStart call: 0 heap, 1 time, 2 cycle
  uint64_t ktime_ns = 0;
  // Phase start times (runtime nanotime): sweep termination STW = t_mark - t_sweep_term,
  // concurrent mark = t_mark_term - t_mark, mark termination STW = t_end - t_mark_term.
  int64_t t_sweep_term = 0, t_mark = 0, t_mark_term = 0, t_end = 0;
  int64_t assist_ns = 0;  // gcController.assistTime: mutator assist CPU time this cycle
  uint64_t assists = 0;   // runtime.gcAssistAlloc calls since the previous cycle
  uint64_t wb_flushes = 0;   // write-barrier buffer flushes during mark (with write_barrier)
  uint64_t wb_pointers = 0;  // pointers those flushes emptied
  uint64_t grey_calls = 0;   // greyobject + tryDeferToSpanScan entries (mark_probes)
  uint64_t shade_calls = 0;  // runtime.shade entries (mark_probes)
  // watch_global: the object followed this cycle, and who reached it first, when.
  uint64_t watch_addr = 0;
  uint64_t watch_ktime_ns = 0;  // 0: nothing reached it this cycle
  uint64_t watch_reaches = 0;
  uint32_t watch_by = 0;  // enum gc_watch_by (bpf/gc.h)
  int32_t watch_p = -1;
};

// Probe hits, split by what one costs: an entry on a PUSH is emulated, others single-stepped.
struct ProbeHits {
  uint64_t emulated = 0;
  uint64_t stepped = 0;
};

// Stop-the-world pauses of one reason ("GC mark termination", "read mem stats", ...).
struct StwPauses {
  std::string reason;
  uint64_t count = 0;
  uint64_t total_ns = 0;  // stopTheWorldWithSema entry to startTheWorldWithSema entry
  uint64_t max_ns = 0;
};

struct GcCounts {
  uint64_t gc_start = 0;         // every runtime.gcStart call, started a cycle or not
  uint64_t gc_start_forced = 0;  // runtime.gcStart calls with gcTriggerCycle (runtime.GC)
  uint64_t cycles = 0;           // runtime.gcMarkTermination calls: completed cycles
  std::vector<GcCycle> cycle_events;  // in order; empty with a reason below
  uint64_t lost_cycle_events = 0;     // the ring buffer was full
  std::string cycle_events_unavailable;
  // With write_barrier: flushes seen while gcphase was _GCoff, and per-flush figures.
  uint64_t wb_outside_mark = 0;
  uint64_t wb_max_pointers = 0;
  uint64_t wb_capacity = 0;  // the largest buffer capacity seen (end - buf)
  ProbeHits hits;
  std::vector<StwPauses> stw;  // by reason, most time first
  std::string stw_reasons_unavailable;  // why reasons are missing (pauses are still counted)
  std::string mark_probes;  // with mark_probes: the functions probed, e.g. "runtime.greyobject"
};

struct GcProbeOptions {
  // Also probe runtime.wbBufFlush1 (EXP-06): flushes and pointers per cycle.
  bool write_barrier = false;
  // Also probe the marking functions (greyobject, tryDeferToSpanScan, shade): per-cycle call
  // counts. They run once per pointer the mark phase finds: costly (EXP-06 --exact).
  bool mark_probes = false;
  // Follow one object (EXP-06 --watch): the name of a Go global, e.g. main.watched, that
  // holds its address. Needs write_barrier and mark_probes' programs; implies them.
  std::string watch_global;
};

class GcCounter {
 public:
  // Loads the BPF programs and attaches them to `exe`, counting only process `pid`.
  static Result<std::unique_ptr<GcCounter>> attach(const std::string& exe, pid_t pid,
                                                   GcProbeOptions options = {});
  ~GcCounter();

  Result<GcCounts> read() const;

 private:
  struct State;
  explicit GcCounter(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace gri::exp::gc
