// The pure parts of EXP-04: what the runtime does with a request of a given size (tiny,
// a size class, large), and to whom an allocating stack belongs.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "exp/alloc/heap_stats.h"
#include "goelf/go_binary.h"

namespace gri::exp::alloc {

// How mallocgc sizes a request in one Go version (src/runtime/malloc.go).
struct MallocRules {
  // go1.22+: a scan object above 512 B gets an 8 B malloc header in its slot
  // (heapBitsInSpan, mallocHeaderSize); go1.19 has none.
  bool malloc_header = false;
};
MallocRules malloc_rules(std::string_view go_version);

struct ClassKey {
  uint32_t cls = 0;
  bool noscan = false;
  auto operator<=>(const ClassKey&) const = default;
};

// runtime.mallocgc calls by size and pointer-ness, as the runtime sorts them.
struct Classified {
  std::map<ClassKey, uint64_t> small;  // objects by (size class, noscan)
  uint64_t tiny = 0;                   // noscan requests under 16 B
  uint64_t large_objects = 0;
  uint64_t large_bytes = 0;  // requested (the runtime rounds each up to whole pages)
  uint64_t zero = 0;         // size 0: &zerobase, nothing allocated
  // Requests by size, for the rounding verdict: size -> calls (small, not tiny).
  std::map<uint64_t, uint64_t> small_requests;
};

// `sizes` as the BPF map holds them: size << 1 | noscan -> calls.
Classified classify(const std::map<uint64_t, uint64_t>& sizes, const SizeClasses& classes,
                    MallocRules rules);

// A frame, symbolized.
struct Frame {
  std::string func;
  std::string file;
  int line = 0;
};

// The logical frames at a pc, innermost first: the functions inlined there, then the
// physical one (goelf::Pclntab::frames).
using Symbolize = std::function<std::vector<Frame>(uint64_t pc)>;

// The frames of one stack (innermost first, run-time pcs) expanded by `symbolize` into
// logical frames; the site is the first logical frame outside the runtime above the
// innermost allocator frame (runtime.mallocgc*, or runtime.(*mcache).refill for refill
// stacks): an allocating function inlined into its caller is named, at its own line.
// nullopt when the stack does not pass through the allocator or never leaves the runtime.
std::optional<Frame> allocation_site(const std::vector<uint64_t>& frames,
                                     const Symbolize& symbolize);

bool is_runtime_function(std::string_view func);
bool is_allocator_function(std::string_view func);

// Whether a stack (innermost first, run-time addresses of a binary loaded `bias` from its
// link-time addresses) lost the caller of its innermost function, when that caller was a
// function of the program. The kernel unwinds user stacks through frame pointers, and a
// function whose frame pointer is not set yet (before PUSHQ BP; MOVQ SP, BP) or any more
// (after POPQ BP), or never is (NOFRAME assembly), is seen with its caller's caller next:
// measured, a go1.27 cpu-clock sample at runtime.mallocgcSmallNoScanSC5's first instruction
// came as mallocgcSmallNoScanSC5 <- main.main, without main.allocNoscan33 that called it.
// The CALL before the second frame's return address names the function that frame called;
// when it is not the innermost one, it was skipped. Only a skipped function of the program
// moves a site (the runtime's are passed over anyway). Direct calls on x86-64 (CALL rel32)
// only: anything else is taken as whole.
bool lost_program_caller(const goelf::GoBinary& bin, uint64_t bias,
                         const std::vector<uint64_t>& frames);

}  // namespace gri::exp::alloc
