#include "exp/alloc/heap_stats.h"

#include <time.h>

#include <algorithm>
#include <array>
#include <cstring>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "goelf/runtime_layout.h"
#include "probe/process_image.h"

namespace gri::exp::alloc {

namespace {

template <typename T>
T load(const std::vector<uint8_t>& buf, size_t at) {
  T v{};
  if (at + sizeof(T) <= buf.size()) std::memcpy(&v, buf.data() + at, sizeof(T));
  return v;
}

// The first entries of class_to_size (src/runtime/sizeclasses.go, go1.19; gc.SizeClassToSize
// in internal/runtime/gc/sizeclasses.go, 1.25-1.27): how a stripped binary's table is found.
constexpr std::array<uint16_t, 11> kTablePrefix = {0, 8, 16, 24, 32, 48, 64, 80, 96, 112, 128};
constexpr uint32_t kMaxSmall = 32768;  // _MaxSmallSize / gc.MaxSmallSize, go1.19-1.27

std::optional<SizeClasses> find_stripped_table(const goelf::ElfFile& elf) {
  std::vector<uint8_t> prefix(kTablePrefix.size() * 2);
  std::memcpy(prefix.data(), kTablePrefix.data(), prefix.size());
  for (const char* name : {".noptrdata", ".rodata", ".data"}) {
    const goelf::Section* sec = elf.find_section(name);
    if (!sec) continue;
    auto data = elf.section_data(*sec);
    if (!data) continue;
    auto it = std::search(data->begin(), data->end(), prefix.begin(), prefix.end());
    // uint16 arrays are 2-aligned; a match elsewhere would be a coincidence.
    while (it != data->end() && (it - data->begin()) % 2 != 0) {
      it = std::search(it + 1, data->end(), prefix.begin(), prefix.end());
    }
    if (it == data->end()) continue;
    SizeClasses c;
    for (auto p = it; p + 1 < data->end(); p += 2) {
      uint16_t v = static_cast<uint16_t>(p[0] | p[1] << 8);
      if (!c.size.empty() && v <= c.size.back()) break;
      c.size.push_back(v);
      if (v == kMaxSmall) break;
    }
    if (c.size.back() != kMaxSmall) continue;
    c.source = fmt::format("found in {} by its first entries (stripped: no .symtab)", name);
    return c;
  }
  return std::nullopt;
}

}  // namespace

uint32_t SizeClasses::class_of(uint64_t bytes) const {
  auto it = std::lower_bound(size.begin() + 1, size.end(), bytes);
  return it == size.end() ? 0 : static_cast<uint32_t>(it - size.begin());
}

std::optional<uint64_t> SizeClasses::objects_per_span(uint32_t cls) const {
  if (cls == 0 || cls >= npages.size() || size[cls] == 0) return std::nullopt;
  return uint64_t{npages[cls]} * 8192 / size[cls];
}

Result<SizeClasses> read_size_classes(const goelf::GoBinary& bin) {
  const goelf::ElfFile& elf = bin.elf();
  SizeClasses c;
  for (const char* name : {"internal/runtime/gc.SizeClassToSize", "runtime.class_to_size"}) {
    const goelf::Symbol* sym = elf.find_object(name);
    if (!sym || sym->size < 4) continue;
    auto bytes = elf.read(sym->addr, sym->size);
    if (!bytes) return bytes.error();
    for (size_t i = 0; i + 1 < bytes->size(); i += 2) {
      c.size.push_back(static_cast<uint32_t>((*bytes)[i] | (*bytes)[i + 1] << 8));
    }
    c.source = name;
    break;
  }
  if (c.size.empty()) {
    auto found = find_stripped_table(elf);
    if (!found) {
      return make_error(
          "no size-class table in {}: neither gc.SizeClassToSize nor "
          "runtime.class_to_size in .symtab, nor its bytes in the data sections",
          bin.path());
    }
    c = std::move(*found);
  }
  for (const char* name :
       {"internal/runtime/gc.SizeClassToNPages", "runtime.class_to_allocnpages"}) {
    const goelf::Symbol* sym = elf.find_object(name);
    if (!sym || sym->size != c.size.size()) continue;
    auto bytes = elf.read(sym->addr, sym->size);
    if (!bytes) break;
    c.npages.assign(bytes->begin(), bytes->end());
    break;
  }
  if (c.size.size() < 2 || c.size[0] != 0 || c.size.back() != kMaxSmall) {
    return make_error("the size-class table of {} ({}) does not end at {} B", bin.path(), c.source,
                      kMaxSmall);
  }
  return c;
}

Result<HeapStatsReader> HeapStatsReader::open(pid_t pid, const SizeClasses& classes) {
  auto snap = snapshot::Snapshotter::open(pid);
  if (!snap) return snap.error();
  auto image = probe::open_process_image(pid);
  if (!image) return image.error();
  goelf::RuntimeLayout layout =
      goelf::resolve_layout(image->bin.elf(), image->bin.build().go_version);
  std::vector<std::string> missing;
  auto field = [&](const char* key) -> uint64_t {
    if (auto f = layout.offset(key)) return *f;
    missing.push_back(key);
    return 0;
  };
  HeapStatsReader r;
  r.classes_ = classes.count();
  uint64_t memstats = 0;
  uint64_t heap_stats = field("mstats.heapStats");
  if (auto a = layout.address("runtime.memstats")) {
    memstats = *a + snap->load_bias();
    r.memstats_source_ = "runtime.memstats from .symtab or DWARF";
  } else if (auto found = find_heap_stats_address(image->bin); found && heap_stats <= *found) {
    memstats = *found - heap_stats + snap->load_bias();
    r.memstats_source_ =
        "runtime.memstats.heapStats found in the code of runtime.(*mcache).refill (no .symtab)";
  } else {
    missing.push_back(
        fmt::format("runtime.memstats ({})", found ? "bad address" : found.error().message));
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
    out.tiny_allocs += load<uint64_t>(stats, base + tiny_);
    out.large_bytes += load<uint64_t>(stats, base + large_);
    out.large_objects += load<uint64_t>(stats, base + large_count_);
    for (size_t c = 0; c < classes_; c++)
      out.small[c] += load<uint64_t>(stats, base + small_ + 8 * c);
  }

  // What the mcaches hold: one span per span class per P, and their tiny count.
  size_t span_classes = 2 * classes_;
  out.pending.assign(span_classes, 0);
  for (const snapshot::PSample& p : ps) {
    std::vector<uint8_t> word(8);
    if (!mem_->read(p.addr + p_mcache_, word)) continue;
    uint64_t mcache = load<uint64_t>(word, 0);
    if (!mcache) continue;
    std::vector<uint8_t> alloc(8 * span_classes), tiny(8);
    std::array<snapshot::ReadOp, 2> ops = {
        {{mcache + mcache_alloc_, alloc}, {mcache + mcache_tiny_, tiny}}};
    if (!mem_->read_many(ops)) continue;
    out.ps++;
    out.pending_tiny += load<uint64_t>(tiny, 0);
    for (size_t spc = 0; spc < span_classes; spc++) {
      uint64_t span = load<uint64_t>(alloc, 8 * spc);
      if (!span) continue;
      std::vector<uint8_t> a(2), b(2);
      std::array<snapshot::ReadOp, 2> counts = {
          {{span + span_alloc_count_, a}, {span + span_before_cache_, b}}};
      if (!mem_->read_many(counts)) continue;
      uint16_t now = load<uint16_t>(a, 0), before = load<uint16_t>(b, 0);
      if (now > before) out.pending[spc] += now - before;
    }
  }
  out.tiny_allocs += out.pending_tiny;
  for (size_t spc = 0; spc < span_classes; spc++) out.small[spc >> 1] += out.pending[spc];
  return out;
}

}  // namespace gri::exp::alloc
