// EXP-08: the per-P timer heaps read from the target's memory, and their shape.
//
// Go 1.19-1.22 (runtime/runtime2.go, time.go): p.timers is a []*timer ordered on each
// timer's when, with deleted timers left in place (p.deletedTimers counts them); the heap is
// 4-ary: siftupTimer's parent is (i-1)/4 (go1.19 time.go). Go 1.23+ (time.go): p.timers is a
// struct whose heap is a []timerWhen{timer, when}, ordered on its own copy of when, zombies
// counting stopped timers not yet removed; timerHeapN = 4 (go1.26 time.go). Either way the
// heap array itself says which arity orders it: every parent (i-1)/k due no later than i.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/result.h"
#include "goelf/runtime_layout.h"
#include "snapshot/snapshot.h"

namespace gri::exp::timers {

// Which arities k (2..8) order `whens` as a min-heap (parent (i-1)/k); and the entries that
// break Go's 4-ary order.
struct HeapShape {
  std::vector<int> arities;  // every k in 2..8 with no violation (a sorted array fits all)
  uint64_t violations4 = 0;  // entries i > 0 due before their 4-ary parent
};
HeapShape heap_shape(std::span<const int64_t> whens);

// Where the heaps are, for one binary.
struct HeapLayout {
  bool timer_pointers = false;  // <= 1.22: []*timer (when read from each timer)
  uint64_t p_id = 0;
  uint64_t heap = 0;             // p.timers.heap / p.timers: the slice header
  uint64_t zombies = 0;          // p.deletedTimers / p.timers.zombies (uint32)
  uint64_t min_when = 0;         // p.timer0When / p.timers.minWhenHeap (int64)
  uint64_t min_when_modified = 0;
  uint64_t timer_when = 0;       // timer.when (<= 1.22)
  uint64_t elem_when = 0;        // timerWhen.when (1.23+)
};
Result<HeapLayout> heap_layout(const goelf::RuntimeLayout& layout);

struct PHeap {
  int32_t p = -1;
  uint64_t timers = 0;          // entries in the heap, deleted and zombie ones included
  uint64_t waiting = 0;         // deleted or stopped entries not removed yet (zombies)
  int64_t next_when = 0;        // the earliest when (the P's own copy; 0: none)
  int64_t next_modified = 0;    // the earliest when of a modified timer (0: none)
  std::vector<int64_t> whens;   // the heap order, as read
  bool torn = false;            // two reads in a row never agreed: the heap was changing
};

// Every P's heap (allp at `allp_addr`, a run-time address). Up to `max_entries` entries a
// P are read; a heap is re-read until two copies agree (5 tries).
Result<std::vector<PHeap>> read_heaps(snapshot::MemoryReader& mem, uint64_t allp_addr,
                                      const HeapLayout& layout, uint64_t max_entries = 1 << 20);

}  // namespace gri::exp::timers
