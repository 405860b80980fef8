// GC experiment (EXP-05), first piece: counts runtime.gcStart entries (all, and those of
// runtime.GC) and completed cycles (runtime.gcMarkTermination) of one process.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "common/result.h"

namespace gri::exp::gc {

struct GcCounts {
  uint64_t gc_start = 0;         // every runtime.gcStart call, started a cycle or not
  uint64_t gc_start_forced = 0;  // runtime.gcStart calls with gcTriggerCycle (runtime.GC)
  uint64_t cycles = 0;           // runtime.gcMarkTermination calls: completed cycles
};

class GcCounter {
 public:
  // Loads the BPF programs and attaches them to `exe`, counting only process `pid`.
  static Result<std::unique_ptr<GcCounter>> attach(const std::string& exe, pid_t pid);
  ~GcCounter();

  Result<GcCounts> read() const;

 private:
  struct State;
  explicit GcCounter(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace gri::exp::gc
