#include "exp/alloc/heap_stats.h"

#include <time.h>

#include <algorithm>
#include <array>
#include <cstring>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "goelf/runtime_layout.h"
#include "common/bytes.h"
#include "probe/process_image.h"

namespace gri::exp::alloc {

namespace {

constexpr uint32_t kMaxSmall = 32768;  // _MaxSmallSize / gc.MaxSmallSize, go1.19-1.27

}  // namespace

uint32_t SizeClasses::class_of(uint64_t bytes) const {
  auto it = std::lower_bound(size.begin() + 1, size.end(), bytes);
  return it == size.end() ? 0 : static_cast<uint32_t>(it - size.begin());
}

std::optional<uint64_t> SizeClasses::objects_per_span(uint32_t cls) const {
  if (cls == 0 || cls >= npages.size() || size[cls] == 0) return std::nullopt;
  return uint64_t{npages[cls]} * 8192 / size[cls];
}

Result<SizeClasses> read_size_classes(const goelf::GoBinary& bin,
                                     const goelf::RuntimeLayout& layout) {
  const goelf::ElfFile& elf = bin.elf();
  const goelf::ResolvedGlobal* sizes = layout.global("runtime.class_to_size");
  if (!sizes || !sizes->address || !sizes->size || *sizes->size < 4) {
    return make_error("no size-class table in {}: {}", bin.path(),
                      sizes ? sizes->reason : "not in the layout's catalog");
  }
  SizeClasses c;
  auto bytes = elf.read(*sizes->address, *sizes->size);
  if (!bytes) return bytes.error();
  for (size_t i = 0; i + 1 < bytes->size(); i += 2) {
    c.size.push_back(static_cast<uint16_t>((*bytes)[i] | (*bytes)[i + 1] << 8));
  }
  c.source = fmt::format("{} ({})", sizes->symbol, sizes->source);
  const goelf::ResolvedGlobal* npages = layout.global("runtime.class_to_allocnpages");
  if (npages && npages->address && npages->size == c.size.size()) {
    if (auto pages = elf.read(*npages->address, *npages->size)) {
      c.npages.assign(pages->begin(), pages->end());
    }
  }
  if (c.size.size() < 2 || c.size[0] != 0 || c.size.back() != kMaxSmall ||
      !std::is_sorted(c.size.begin(), c.size.end())) {
    return make_error("the size-class table of {} ({}) is not increasing from 0 to {} B",
                      bin.path(), c.source, kMaxSmall);
  }
  return c;
}

Result<HeapStatsReader> HeapStatsReader::open(pid_t pid, const SizeClasses& classes) {
  auto snap = snapshot::Snapshotter::open(pid);
  if (!snap) return snap.error();
  auto image = probe::open_process_image(pid);
  if (!image) return image.error();
  goelf::RuntimeLayout layout =
      goelf::resolve_layout(image->bin);
  std::vector<std::string> missing;
  auto field = [&](const char* key) -> uint64_t {
    if (auto f = layout.offset(key)) return *f;
    missing.push_back(key);
    return 0;
  };
  HeapStatsReader r;
  r.classes_ = classes.count();
  uint64_t memstats = 0;
  if (const goelf::ResolvedGlobal* g = layout.global("runtime.memstats"); g && g->address) {
    memstats = *g->address + snap->load_bias();
    r.memstats_source_ = "runtime.memstats from " + g->source;
  } else {
    missing.push_back(fmt::format("runtime.memstats ({})", g ? g->reason : "not in the catalog"));
  }
  uint64_t stats0 = field("mstats.heapStats.stats");
  r.stride_ = field("mstats.heapStats.stats[1]") - stats0;
  r.stats_addr_ = memstats + stats0;
  r.tiny_ = field("heapStatsDelta.tinyAllocCount");
  r.large_ = field("heapStatsDelta.largeAlloc");
  r.large_count_ = field("heapStatsDelta.largeAllocCount");
  r.small_ = field("heapStatsDelta.smallAllocCount");
  r.p_mcache_ = field("p.mcache");
  r.mcache_alloc_ = field("mcache.alloc");
  r.mcache_tiny_ = field("mcache.tinyAllocs");
  r.span_alloc_count_ = field("mspan.allocCount");
  r.span_before_cache_ = field("mspan.allocCountBeforeCache");
  if (!missing.empty()) {
    return make_error("the allocation counters need {} ({})", fmt::join(missing, ", "),
                      image->bin.stripped() ? "stripped: global addresses need .symtab or DWARF"
                                            : "not in this binary's layout");
  }
  // smallAllocCount is [NumSizeClasses]uint64: it must fit the delta the table implies.
  if (r.small_ + 8 * r.classes_ > r.stride_) {
    return make_error("heapStatsDelta of {} is {} B: too small for {} size classes from {}",
                      image->exe, r.stride_, r.classes_, classes.source);
  }
  if (auto st = snap->available(); !st) {
    r.snap_why_ = st.error().message;
  } else {
    r.snap_.emplace(std::move(*snap));
  }
  r.mem_ = std::make_unique<snapshot::ProcessMemory>(pid);
  return r;
}

Result<HeapCounts> HeapStatsReader::read() {
  HeapCounts out;
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  out.mono_ns =
      static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
  std::vector<snapshot::PSample> ps;
  if (!snap_) {
    out.mcaches_unread = snap_why_;
  } else if (auto runtime = snap_->take()) {
    ps = runtime->ps;
  } else {
    out.mcaches_unread = runtime.error().message;
  }

  // The three generations, summed as consistentHeapStats.unsafeRead sums them.
  std::vector<uint8_t> stats(3 * stride_);
  if (auto st = mem_->read(stats_addr_, stats); !st) return st.error();
  out.small.assign(classes_, 0);
  for (uint64_t g = 0; g < 3; g++) {
    size_t base = g * stride_;
    out.tiny_allocs += load_at<uint64_t>(stats, base + tiny_);
    out.large_bytes += load_at<uint64_t>(stats, base + large_);
    out.large_objects += load_at<uint64_t>(stats, base + large_count_);
    for (size_t c = 0; c < classes_; c++)
      out.small[c] += load_at<uint64_t>(stats, base + small_ + 8 * c);
  }

  // What the mcaches hold: one span per span class per P, and their tiny count.
  size_t span_classes = 2 * classes_;
  out.pending.assign(span_classes, 0);
  for (const snapshot::PSample& p : ps) {
    std::vector<uint8_t> word(8);
    if (!mem_->read(p.addr + p_mcache_, word)) continue;
    uint64_t mcache = load_at<uint64_t>(word, 0);
    if (!mcache) continue;
    std::vector<uint8_t> alloc(8 * span_classes), tiny(8);
    std::array<snapshot::ReadOp, 2> ops = {
        {{mcache + mcache_alloc_, alloc}, {mcache + mcache_tiny_, tiny}}};
    if (!mem_->read_many(ops)) continue;
    out.ps++;
    out.pending_tiny += load_at<uint64_t>(tiny, 0);
    for (size_t spc = 0; spc < span_classes; spc++) {
      uint64_t span = load_at<uint64_t>(alloc, 8 * spc);
      if (!span) continue;
      std::vector<uint8_t> a(2), b(2);
      std::array<snapshot::ReadOp, 2> counts = {
          {{span + span_alloc_count_, a}, {span + span_before_cache_, b}}};
      if (!mem_->read_many(counts)) continue;
      uint16_t now = load_at<uint16_t>(a, 0), before = load_at<uint16_t>(b, 0);
      if (now > before) out.pending[spc] += now - before;
    }
  }
  out.tiny_allocs += out.pending_tiny;
  for (size_t spc = 0; spc < span_classes; spc++) out.small[spc >> 1] += out.pending[spc];
  return out;
}

}  // namespace gri::exp::alloc
