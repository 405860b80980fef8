// The BPF side of EXP-04 (bpf/alloc.bpf.c): the hold at runtime.exit, cpu-clock samples and
// refill entries counted by user stack, runtime.mallocgc counted by size and pointer-ness.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "goelf/go_binary.h"

namespace gri::exp::alloc {

struct AllocProbeOptions {
  bool hold_at_exit = true;
  uint64_t sample_hz = 0;      // 0: no cpu-clock sampling
  bool refill = false;         // --sites=exact
  bool mallocgc = false;       // --exact
  uint32_t type_ptrbytes = 0;  // offset of _type.ptrdata / abi.Type.PtrBytes
  // Sizes below this are passed by mallocgc to the size-specialized functions (0: none).
  uint64_t specialized_below = 0;
  std::vector<std::string> specialized;  // their names, probed with mallocgc
};

// The size-specialized allocation functions of a binary (Go 1.27 by default, 1.26 with
// GOEXPERIMENT=sizespecializedmalloc): runtime.mallocgcTinySC*, mallocgcSmallNoScanSC*,
// mallocgcSmallScanNoHeaderSC*; and the highest size class they serve (0: none).
std::vector<std::string> specialized_malloc_functions(const goelf::GoBinary& bin,
                                                      uint32_t* max_class);

struct StackCount {
  std::vector<uint64_t> frames;  // run-time addresses, innermost first; empty: no stack
  bool refill = false;           // a refill entry (else a cpu-clock sample)
  uint32_t span_class = 0;       // of a refill
  uint64_t count = 0;
};

struct ProbeCounts {
  std::vector<StackCount> stacks;
  std::map<uint64_t, uint64_t> sizes;  // size << 1 | noscan -> runtime.mallocgc calls
  uint64_t mallocgc_calls = 0;
  uint64_t refills = 0;
  uint64_t samples = 0;
  uint64_t lost = 0;  // counts that found a map full
};

class AllocProbes {
 public:
  static Result<std::unique_ptr<AllocProbes>> attach(const goelf::GoBinary& bin, pid_t pid,
                                                     const AllocProbeOptions& options);
  ~AllocProbes();

  // Why the target cannot be held at its exit ("" when it can).
  const std::string& exit_unavailable() const { return exit_unavailable_; }
  // Times the target stopped itself at runtime.exit so far.
  uint64_t exit_holds() const;
  // Whether the hot probes' entry instruction is emulated (cheap) rather than single-stepped.
  bool mallocgc_emulated() const { return mallocgc_emulated_; }
  bool refill_emulated() const { return refill_emulated_; }
  Result<ProbeCounts> read() const;

 private:
  struct State;
  explicit AllocProbes(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
  std::string exit_unavailable_;
  bool mallocgc_emulated_ = false, refill_emulated_ = false;
};

}  // namespace gri::exp::alloc
