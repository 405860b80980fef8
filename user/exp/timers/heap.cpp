#include "exp/timers/heap.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/bytes.h"

namespace gri::exp::timers {

namespace {

// Tries of a heap read before it is called torn.
constexpr int kTries = 5;

}  // namespace

HeapShape heap_shape(std::span<const int64_t> whens) {
  HeapShape s;
  for (int k = 2; k <= 8; k++) {
    bool ok = true;
    for (size_t i = 1; i < whens.size() && ok; i++) ok = whens[(i - 1) / k] <= whens[i];
    if (ok) s.arities.push_back(k);
  }
  for (size_t i = 1; i < whens.size(); i++) s.violations4 += whens[(i - 1) / 4] > whens[i];
  return s;
}

Result<HeapLayout> heap_layout(const goelf::RuntimeLayout& layout) {
  HeapLayout h;
  std::vector<std::string> missing;
  auto field = [&](const char* key, uint64_t& out) {
    if (auto o = layout.offset(key)) out = *o; else missing.push_back(key);
  };
  field("p.id", h.p_id);
  field("p.timers.heap", h.heap);
  field("p.timers.zombies", h.zombies);
  field("p.timers.minWhen", h.min_when);
  field("p.timers.minWhenModified", h.min_when_modified);
  // timer.pp exists up to 1.22 alone: the heap holds *timer there, timerWhen after.
  h.timer_pointers = layout.offset("timer.pp").has_value();
  if (h.timer_pointers) field("timer.when", h.timer_when);
  else field("timerWhen.when", h.elem_when);
  if (!missing.empty()) {
    return make_error("the timer heaps need {} (not in this binary's layout)", fmt::join(missing, ", "));
  }
  return h;
}

namespace {

// One read of one P's heap: its header fields and entries.
Result<PHeap> read_one(snapshot::MemoryReader& mem, uint64_t p, const HeapLayout& l,
                       uint64_t max_entries) {
  uint64_t hi = std::max({l.p_id + 4, l.heap + 24, l.zombies + 4, l.min_when + 8,
                          l.min_when_modified + 8});
  uint64_t lo = std::min({l.p_id, l.heap, l.zombies, l.min_when, l.min_when_modified});
  std::vector<uint8_t> hdr(hi - lo);
  if (Status st = mem.read(p + lo, hdr); !st) return st.error();
  PHeap h;
  h.p = load_at<int32_t>(hdr, l.p_id - lo);
  uint64_t array = load_at<uint64_t>(hdr, l.heap - lo), len = load_at<uint64_t>(hdr, l.heap - lo + 8),
           cap = load_at<uint64_t>(hdr, l.heap - lo + 16);
  h.waiting = load_at<uint32_t>(hdr, l.zombies - lo);
  h.next_when = load_at<int64_t>(hdr, l.min_when - lo);
  h.next_modified = load_at<int64_t>(hdr, l.min_when_modified - lo);
  if (len > cap || (len && !array)) return make_error("P {}: heap slice len {} cap {} array {:#x}", h.p, len, cap, array);
  h.timers = len;
  uint64_t n = std::min(len, max_entries);
  if (!n) return h;
  uint64_t elem = l.timer_pointers ? 8 : 16;
  std::vector<uint8_t> arr(n * elem);
  if (Status st = mem.read(array, arr); !st) return st.error();
  h.whens.resize(n);
  if (!l.timer_pointers) {
    for (uint64_t i = 0; i < n; i++) h.whens[i] = load_at<int64_t>(arr, i * 16 + l.elem_when);
    return h;
  }
  std::vector<snapshot::ReadOp> ops(n);
  for (uint64_t i = 0; i < n; i++) {
    ops[i] = {load_at<uint64_t>(arr, i * 8) + l.timer_when,
              std::span<uint8_t>(reinterpret_cast<uint8_t*>(&h.whens[i]), 8)};
  }
  if (Status st = mem.read_many(ops); !st) return st.error();
  return h;
}

}  // namespace

Result<std::vector<PHeap>> read_heaps(snapshot::MemoryReader& mem, uint64_t allp_addr,
                                      const HeapLayout& l, uint64_t max_entries) {
  uint8_t hdr[16];
  if (Status st = mem.read(allp_addr, hdr); !st) return make_error("runtime.allp: {}", st.error().message);
  uint64_t array, len;
  std::memcpy(&array, hdr, 8);
  std::memcpy(&len, hdr + 8, 8);
  if (len > 1 << 16 || (len && !array)) return make_error("runtime.allp: len {} array {:#x}", len, array);
  std::vector<uint64_t> ps(len);
  if (len) {
    if (Status st = mem.read(array, std::span<uint8_t>(reinterpret_cast<uint8_t*>(ps.data()), len * 8)); !st) {
      return make_error("runtime.allp's array: {}", st.error().message);
    }
  }
  std::vector<PHeap> out;
  for (uint64_t p : ps) {
    if (!p) continue;
    // The target runs on: a heap read while a timer is added or sifted can mix two orders, so
    // a copy counts once a second one equals it.
    auto prev = read_one(mem, p, l, max_entries);
    if (!prev) return prev.error();
    bool agreed = false;
    for (int i = 1; i < kTries && !agreed; i++) {
      auto again = read_one(mem, p, l, max_entries);
      if (!again) return again.error();
      agreed = again->timers == prev->timers && again->whens == prev->whens;
      prev = std::move(again);
    }
    prev->torn = !agreed;
    out.push_back(std::move(*prev));
  }
  return out;
}

}  // namespace gri::exp::timers
