// The runtime's own allocation counters, read from outside: the binary's size-class table,
// and runtime.memstats.heapStats plus what the Ps' mcaches hold and have not published yet.
//
// heapStats (src/runtime/mstats.go, Go 1.19-1.27) is a consistentHeapStats: three
// generations stats[0..2] of heapStatsDelta that writers add to and that
// consistentHeapStats.unsafeRead sums (read() merges two of them and reads the sum, the third
// being empty then). tinyAllocCount, largeAlloc, largeAllocCount and smallAllocCount[class]
// are cumulative since the start. Small objects are published per span, not per object: an
// mcache adds allocCount - allocCountBeforeCache of its span when it gives the span back
// (mcache.refill, releaseAll) and tinyAllocs likewise, so what a P's mcache holds is missing
// from heapStats until then: at most one span per span class per P. gri reads those spans
// too (mcache.alloc[spc].allocCount - allocCountBeforeCache), so a read of a stopped process
// is exact.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "goelf/go_binary.h"
#include "goelf/runtime_layout.h"
#include "snapshot/snapshot.h"

namespace gri::exp::alloc {

// The binary's own size classes: class_to_size and class_to_allocnpages (runtime, up to
// 1.24), gc.SizeClassToSize and SizeClassToNPages (internal/runtime/gc, 1.25+).
struct SizeClasses {
  std::vector<uint32_t> size;    // by class; class 0 is large (size 0)
  std::vector<uint32_t> npages;  // pages of 8 KB per span, by class; empty when unknown
  std::string source;            // where the table came from

  size_t count() const { return size.size(); }
  uint32_t max_small() const { return size.empty() ? 0 : size.back(); }
  // The smallest class whose size is at least `bytes` (1..max_small()); 0 for larger.
  uint32_t class_of(uint64_t bytes) const;
  // Objects per span of a class, when npages is known.
  std::optional<uint64_t> objects_per_span(uint32_t cls) const;
};

// The uint16 table runtime.class_to_size (gc.SizeClassToSize from go1.25) and its npages
// twin, wherever the layout found them (.symtab, DWARF, or a stripped binary's code).
Result<SizeClasses> read_size_classes(const goelf::GoBinary& bin,
                                     const goelf::RuntimeLayout& layout);

struct HeapCounts {
  uint64_t mono_ns = 0;
  uint64_t tiny_allocs = 0;     // heapStats tinyAllocCount + the mcaches' tinyAllocs
  uint64_t large_objects = 0;   // largeAllocCount (published at allocation: no mcache part)
  uint64_t large_bytes = 0;     // largeAlloc
  std::vector<uint64_t> small;  // objects by class: smallAllocCount + the mcaches' part
  // Not yet published by the mcaches, included above: by span class (class << 1 | noscan).
  std::vector<uint64_t> pending;
  uint64_t pending_tiny = 0;
  uint32_t ps = 0;  // Ps whose mcache was read
  // Why the mcaches were not read ("" when they were): the counts then miss up to one span
  // per span class per P.
  std::string mcaches_unread;
};

class HeapStatsReader {
 public:
  // `classes` sizes the per-class arrays; the error says which field or global is missing.
  static Result<HeapStatsReader> open(pid_t pid, const SizeClasses& classes);
  Result<HeapCounts> read();
  // "symtab", "dwarf", or how it was found in a stripped binary.
  const std::string& memstats_source() const { return memstats_source_; }

 private:
  HeapStatsReader() = default;
  std::optional<snapshot::Snapshotter> snap_;  // for allp; empty when it has no address
  std::string snap_why_;
  std::string memstats_source_;
  std::unique_ptr<snapshot::ProcessMemory> mem_;
  size_t classes_ = 0;
  uint64_t stats_addr_ = 0, stride_ = 0;
  uint64_t tiny_ = 0, large_ = 0, large_count_ = 0, small_ = 0;
  uint64_t p_mcache_ = 0, mcache_alloc_ = 0, mcache_tiny_ = 0;
  uint64_t span_alloc_count_ = 0, span_before_cache_ = 0;
};

}  // namespace gri::exp::alloc
