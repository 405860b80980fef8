#include "exp/maps/watch.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "probe/process_image.h"
#include "common/bytes.h"

namespace gri::exp::maps {

namespace {

// Directory entries read at most: 2^16 tables of 1024 slots hold 58 million entries.
constexpr uint64_t kMaxDirectory = 1 << 16;
// Bytes to read for fields at these offsets, none wider than 8 bytes: a header is read whole.
size_t span_of(std::initializer_list<uint32_t> offsets) {
  return std::max(offsets) + 8;
}

// A table holds 7/8 of its capacity, or capacity - 1 in one group (resetGrowthLeft,
// go1.24-1.27 internal/runtime/maps/table.go).
uint64_t max_growth(uint64_t capacity) { return capacity <= 8 ? capacity - 1 : capacity * 7 / 8; }

}  // namespace

Result<MapOffsets> map_offsets(const goelf::RuntimeLayout& layout, MapKind kind) {
  MapOffsets o;
  o.kind = kind;
  std::vector<std::string> missing;
  auto get = [&](const char* key, uint32_t* out) {
    auto off = layout.offset(key);
    if (!off) missing.push_back(key);
    *out = off ? static_cast<uint32_t>(*off) : 0;
  };
  if (kind == MapKind::kBuckets) {
    get("hmap.count", &o.count);
    get("hmap.B", &o.B);
    get("hmap.noverflow", &o.noverflow);
    get("hmap.buckets", &o.buckets);
    get("hmap.oldbuckets", &o.oldbuckets);
    get("hmap.nevacuate", &o.nevacuate);
  } else if (kind == MapKind::kSwiss) {
    get("maps.Map.used", &o.used);
    get("maps.Map.dirPtr", &o.dir_ptr);
    get("maps.Map.dirLen", &o.dir_len);
    get("maps.Map.globalDepth", &o.global_depth);
    get("maps.table.used", &o.t_used);
    get("maps.table.capacity", &o.t_capacity);
    get("maps.table.growthLeft", &o.t_growth_left);
    get("maps.table.localDepth", &o.t_local_depth);
    get("maps.table.groups.lengthMask", &o.t_length_mask);
  } else {
    return make_error("the binary has no map code gri knows");
  }
  if (!missing.empty()) {
    return make_error("reading a map needs {} (not in this binary's layout)",
                      fmt::format("{}", fmt::join(missing, ", ")));
  }
  return o;
}

Result<MapLayout> read_map(snapshot::MemoryReader& mem, uint64_t addr, const MapOffsets& o) {
  MapLayout l;
  if (addr == 0) {
    l.nil = true;
    return l;
  }
  std::vector<uint8_t> h(o.kind == MapKind::kBuckets
                             ? span_of({o.count, o.B, o.noverflow, o.buckets, o.oldbuckets, o.nevacuate})
                             : span_of({o.used, o.dir_ptr, o.dir_len, o.global_depth}));
  if (auto st = mem.read(addr, h); !st) return st.error();
  if (o.kind == MapKind::kBuckets) {
    l.entries = load_at<uint64_t>(h, o.count);
    l.B = load_at<uint8_t>(h, o.B);
    if (l.B > 62) return make_error("map at {:#x}: B = {} is not a bucket map's", addr, l.B);
    l.buckets = uint64_t{1} << l.B;
    l.overflow = load_at<uint16_t>(h, o.noverflow);
    l.growing = load_at<uint64_t>(h, o.oldbuckets) != 0;
    l.evacuated = load_at<uint64_t>(h, o.nevacuate);
    l.load = static_cast<double>(l.entries) / static_cast<double>(l.buckets);
    return l;
  }
  l.entries = load_at<uint64_t>(h, o.used);
  uint64_t dir = load_at<uint64_t>(h, o.dir_ptr);
  int64_t dir_len = load_at<int64_t>(h, o.dir_len);
  l.global_depth = load_at<uint8_t>(h, o.global_depth);
  if (dir_len == 0) {  // small: one group at dirPtr, or nothing yet
    l.small = true;
    l.groups = dir ? 1 : 0;
    l.slots = dir ? 8 : 0;
    l.used = l.entries;
    return l;
  }
  if (dir_len < 0 || static_cast<uint64_t>(dir_len) > kMaxDirectory) {
    return make_error("map at {:#x}: a directory of {} tables is not a swiss map's", addr, dir_len);
  }
  l.directory = static_cast<uint64_t>(dir_len);
  std::vector<uint8_t> ptrs(l.directory * 8);
  if (auto st = mem.read(dir, ptrs); !st) return st.error();
  std::set<uint64_t> tables;
  for (uint64_t i = 0; i < l.directory; i++) tables.insert(load_at<uint64_t>(ptrs, static_cast<uint32_t>(i * 8)));
  tables.erase(0);
  std::vector<uint8_t> t(span_of({o.t_used, o.t_capacity, o.t_growth_left, o.t_local_depth, o.t_length_mask}));
  for (uint64_t tab : tables) {
    if (auto st = mem.read(tab, t); !st) return st.error();
    uint64_t cap = load_at<uint16_t>(t, o.t_capacity), used = load_at<uint16_t>(t, o.t_used);
    uint64_t left = load_at<uint16_t>(t, o.t_growth_left);
    if (cap == 0) return make_error("map at {:#x}: a table of capacity 0", addr);
    l.tables++;
    l.slots += cap;
    l.used += used;
    l.growth_left += left;
    l.groups += load_at<uint64_t>(t, o.t_length_mask) + 1;
    uint64_t taken = used + left;
    l.tombstones += max_growth(cap) > taken ? max_growth(cap) - taken : 0;
  }
  return l;
}

MapWatcher::MapWatcher(pid_t pid, uint64_t global_addr, MapOffsets offsets, double period_s)
    : pid_(pid),
      global_addr_(global_addr),
      offsets_(offsets),
      period_s_(period_s),
      mem_(pid),
      start_(std::chrono::steady_clock::now()) {
  thread_ = std::thread([this] {
    auto next = start_ + std::chrono::duration<double>(period_s_);
    while (!stop_) {
      if (std::chrono::steady_clock::now() >= next) {
        read_once();
        next += std::chrono::duration<double>(period_s_);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
}

MapWatcher::~MapWatcher() { stop(); }

void MapWatcher::stop() {
  if (!thread_.joinable()) return;
  stop_ = true;
  thread_.join();
  read_once();
}

void MapWatcher::read_once() {
  if (!bias_) {
    auto image = probe::open_process_image(pid_);
    if (!image) {
      std::lock_guard lock(mu_);
      error_ = image.error().message;
      return;
    }
    bias_ = image->load_bias;
  }
  uint64_t map = 0;
  std::span<uint8_t> word(reinterpret_cast<uint8_t*>(&map), sizeof(map));
  auto st = mem_.read(global_addr_ + *bias_, word);
  Result<MapLayout> l = st ? read_map(mem_, map, offsets_) : Result<MapLayout>(st.error());
  std::lock_guard lock(mu_);
  if (!l) {
    error_ = l.error().message;
    return;
  }
  l->at_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  samples_.push_back(*l);
}

std::vector<MapLayout> MapWatcher::samples() const {
  std::lock_guard lock(mu_);
  return samples_;
}

std::string MapWatcher::last_error() const {
  std::lock_guard lock(mu_);
  return error_;
}

}  // namespace gri::exp::maps
