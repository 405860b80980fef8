#include "exp/sched/census.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace gri::exp::sched {

namespace {

// _Grunnable 1, _Grunning 2, _Gsyscall 3, _Gwaiting 4, and the _Gscan bit 0x1000 that a
// scan ORs in while it holds the g (runtime/runtime2.go, go1.19-1.27).
constexpr uint32_t kGrunnable = 1, kGrunning = 2, kGsyscall = 3, kGwaiting = 4, kGscan = 0x1000;
// Bounds on what is read from a process that could hold garbage at those addresses.
constexpr uint64_t kMaxReasons = 256;  // waitReason is a uint8
constexpr uint64_t kMaxReasonLength = 64;
constexpr uint64_t kMaxGoroutines = 1 << 20;

template <typename T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

}  // namespace

std::vector<bool> mutex_wait_reasons(const std::vector<std::string>& names) {
  static const std::string_view kSync[] = {"sync.Mutex.Lock", "sync.RWMutex.RLock",
                                           "sync.RWMutex.Lock"};
  auto is_sync = [](const std::string& n) {
    return std::find(std::begin(kSync), std::end(kSync), n) != std::end(kSync);
  };
  bool has_sync = std::any_of(names.begin(), names.end(), is_sync);
  std::vector<bool> out(names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    out[i] = has_sync ? is_sync(names[i]) : names[i] == "semacquire";
  }
  return out;
}

Result<GoroutineCensus> GoroutineCensus::create(const goelf::RuntimeLayout& layout,
                                                uint64_t load_bias,
                                                std::unique_ptr<snapshot::MemoryReader> memory) {
  GoroutineCensus c;
  c.memory_ = std::move(memory);
  std::vector<std::string> missing;
  std::string why;
  auto global = [&](const char* name, uint64_t& out) {
    for (const goelf::ResolvedGlobal& g : layout.globals) {
      if (g.name != name) continue;
      if (g.address) {
        out = *g.address + load_bias;
        return;
      }
      if (why.empty()) why = g.reason;
    }
    missing.push_back(name);
  };
  auto field = [&](const char* key, uint64_t& out) {
    if (auto o = layout.offset(key)) out = *o; else missing.push_back(key);
  };
  global("runtime.allglen", c.allglen_);
  global("runtime.allgptr", c.allgptr_);
  global("runtime.waitReasonStrings", c.reasons_);
  field("g.atomicstatus", c.status_off_);
  field("g.waitreason", c.reason_off_);
  if (!missing.empty()) {
    return make_error("the goroutine census needs {}{}", fmt::join(missing, ", "),
                      why.empty() ? "" : fmt::format(" ({})", why));
  }
  if (c.reason_off_ < c.status_off_) return make_error("g.waitreason before g.atomicstatus");
  if (Status st = c.read_reasons(); !st) return st.error();
  return c;
}

// runtime.waitReasonStrings is a [N]string: N {ptr, len} pairs. Its length is not in the
// layout, so names are read until one is not a short printable string: the array is
// followed by other data, never by more valid names of its own.
Status GoroutineCensus::read_reasons() {
  std::vector<uint8_t> headers(kMaxReasons * 16);
  // The array is small; read it in pieces that stay inside mapped data.
  size_t got = 0;
  for (; got < kMaxReasons; got += 16) {
    if (!memory_->read(reasons_ + got * 16, std::span(headers).subspan(got * 16, 16 * 16))) break;
  }
  if (got == 0) return make_error("cannot read runtime.waitReasonStrings");
  std::vector<std::string> names;
  for (size_t i = 0; i < got; ++i) {
    uint64_t ptr = load<uint64_t>(&headers[i * 16]);
    uint64_t len = load<uint64_t>(&headers[i * 16 + 8]);
    if (len > kMaxReasonLength || (len && !ptr)) break;
    std::string s(len, '\0');
    if (len && !memory_->read(ptr, std::span(reinterpret_cast<uint8_t*>(s.data()), len))) break;
    if (!std::all_of(s.begin(), s.end(), [](char ch) { return ch >= 0x20 && ch < 0x7f; })) break;
    if (i > 0 && s.empty()) break;  // only waitReasonZero is "" (index 0)
    names.push_back(std::move(s));
  }
  is_mutex_ = mutex_wait_reasons(names);
  for (size_t i = 0; i < names.size(); ++i) {
    if (is_mutex_[i]) mutex_reason_names_.push_back(names[i]);
  }
  if (mutex_reason_names_.empty()) {
    return make_error("runtime.waitReasonStrings has no sync.Mutex or semacquire reason ({} "
                      "names read)", names.size());
  }
  return {};
}

Result<GoroutineCounts> GoroutineCensus::take() {
  uint8_t len_buf[8], ptr_buf[8];
  if (Status st = memory_->read(allglen_, len_buf); !st) return st.error();
  if (Status st = memory_->read(allgptr_, ptr_buf); !st) return st.error();
  uint64_t n = load<uint64_t>(len_buf), array = load<uint64_t>(ptr_buf);
  if (n > kMaxGoroutines) return make_error("runtime.allglen is {}: not a goroutine count", n);
  GoroutineCounts out;
  if (n == 0 || !array) return out;
  std::vector<uint8_t> ptrs(n * 8);
  if (Status st = memory_->read(array, ptrs); !st) return st.error();
  size_t span = reason_off_ + 1 - status_off_;
  std::vector<uint8_t> fields(n * span);
  std::vector<snapshot::ReadOp> ops;
  ops.reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t g = load<uint64_t>(&ptrs[i * 8]);
    if (!g) continue;
    ops.push_back({g + status_off_, std::span(fields).subspan(ops.size() * span, span)});
  }
  if (Status st = memory_->read_many(ops); !st) return st.error();
  for (size_t i = 0; i < ops.size(); ++i) {
    const uint8_t* f = &fields[i * span];
    uint32_t status = load<uint32_t>(f) & ~kGscan;
    uint8_t reason = f[span - 1];
    ++out.total;
    if (status == kGrunnable) ++out.runnable;
    if (status == kGrunning) ++out.running;
    if (status == kGsyscall) ++out.syscall;
    if (status == kGwaiting) {
      ++out.waiting;
      if (reason < is_mutex_.size() && is_mutex_[reason]) ++out.mutex_waiting;
    }
  }
  return out;
}

}  // namespace gri::exp::sched
