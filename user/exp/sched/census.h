// A census of the target's goroutines by state, read from its memory like the snapshots
// (process_vm_readv; nothing runs in the target): runtime.allglen and runtime.allgptr give
// every g (runtime/proc.go, go1.19-1.27: allgptr is updated before allglen, and readers read
// allglen first, as forEachGRace does), and each g's atomicstatus and waitreason say what it
// does. The runtime never frees a g (dead ones are reused), so a stale pointer still reads one.
//
// What it answers that the P snapshots cannot: how many goroutines wait on a sync.Mutex or
// RWMutex. Those goroutines park (gopark in semacquire1, runtime/sema.go), so their threads
// do not block on the mutex: the kernel sees idle threads, not lock waits. The wait reason
// names come from the target's own runtime.waitReasonStrings, since the numbering changes
// between releases: go1.26/1.27 park sync.Mutex waiters with "sync.Mutex.Lock" (and
// "sync.RWMutex.RLock", "sync.RWMutex.Lock"; runtime2.go isMutexWait); go1.19 has only
// "semacquire", shared with WaitGroup.Wait and other semaphores (sema.go semacquire1).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "goelf/runtime_layout.h"
#include "snapshot/snapshot.h"

namespace gri::exp::sched {

struct GoroutineCounts {
  uint32_t total = 0;           // g's in allgs, dead ones included
  uint32_t runnable = 0;        // _Grunnable
  uint32_t running = 0;         // _Grunning
  uint32_t syscall = 0;         // _Gsyscall
  uint32_t waiting = 0;         // _Gwaiting
  uint32_t mutex_waiting = 0;   // ... on a sync.Mutex or RWMutex (see mutex_reasons)
};

class GoroutineCensus {
 public:
  // The layout's allglen, allgptr, waitReasonStrings and g fields, the memory and the PIE
  // load bias; an error naming what is missing (a stripped binary has no global addresses).
  static Result<GoroutineCensus> create(const goelf::RuntimeLayout& layout, uint64_t load_bias,
                                        std::unique_ptr<snapshot::MemoryReader> memory);

  Result<GoroutineCounts> take();

  // The wait reasons counted as mutex waits, as the target names them ("sync.Mutex.Lock").
  const std::vector<std::string>& mutex_reasons() const { return mutex_reason_names_; }

 private:
  GoroutineCensus() = default;
  Status read_reasons();

  std::unique_ptr<snapshot::MemoryReader> memory_;
  uint64_t allglen_ = 0, allgptr_ = 0, reasons_ = 0;
  uint64_t status_off_ = 0, reason_off_ = 0;
  std::vector<bool> is_mutex_;  // by wait reason number
  std::vector<std::string> mutex_reason_names_;
};

// Which wait-reason names are mutex waits: the sync.Mutex/RWMutex ones where the runtime has
// them (go1.20+), else "semacquire" (go1.19). Exposed for tests.
std::vector<bool> mutex_wait_reasons(const std::vector<std::string>& names);

}  // namespace gri::exp::sched
