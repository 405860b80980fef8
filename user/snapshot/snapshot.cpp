// Runtime state snapshots over process_vm_readv; the torn-read policy is in snapshot.h.
#include "snapshot/snapshot.h"

#include <elf.h>
#include <limits.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "goelf/go_binary.h"
#include "probe/process_image.h"

namespace gri::snapshot {

namespace {

// Fields closer than this share one read range: copying a few bytes more is cheaper than
// another iovec, and it keeps runqhead and runqtail in one copy.
constexpr uint64_t kMergeGap = 64;
// Not a runtime limit (GOMAXPROCS has none since Go 1.10): a bound against reading garbage.
constexpr uint64_t kMaxAllp = 1 << 20;
constexpr size_t kPtrSize = 8;  // gri reads 64-bit Go binaries only (GoBinary)

uint64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000u + uint64_t(ts.tv_nsec);
}

// The target runs on this machine: same byte order.
template <typename T>
T load(std::span<const uint8_t> buf, size_t at) {
  T v{};
  std::memcpy(&v, buf.data() + at, sizeof(T));
  return v;
}

struct Want {
  uint64_t offset;
  size_t size;
  Snapshotter::Field* field;
};

// Merges the wanted fields into ranges and places each field in the concatenated buffer.
size_t plan(std::vector<Want> wants, std::vector<Snapshotter::Range>* ranges) {
  std::sort(wants.begin(), wants.end(),
            [](const Want& a, const Want& b) { return a.offset < b.offset; });
  ranges->clear();
  for (const Want& w : wants) {
    if (!ranges->empty() && w.offset <= ranges->back().offset + ranges->back().size + kMergeGap) {
      Snapshotter::Range& r = ranges->back();
      r.size = std::max<size_t>(r.size, w.offset + w.size - r.offset);
    } else {
      ranges->push_back({w.offset, w.size});
    }
  }
  size_t total = 0;
  std::vector<size_t> starts;
  for (const Snapshotter::Range& r : *ranges) {
    starts.push_back(total);
    total += r.size;
  }
  for (const Want& w : wants) {
    for (size_t i = ranges->size(); i-- > 0;) {
      if ((*ranges)[i].offset <= w.offset) {
        w.field->at = starts[i] + (w.offset - (*ranges)[i].offset);
        break;
      }
    }
  }
  return total;
}

void add_ops(uint64_t base, const std::vector<Snapshotter::Range>& ranges,
             std::span<uint8_t> buf, std::vector<ReadOp>* ops) {
  size_t at = 0;
  for (const Snapshotter::Range& r : ranges) {
    ops->push_back({base + r.offset, buf.subspan(at, r.size)});
    at += r.size;
  }
}

std::string errno_name(int err) {
  switch (err) {
    case ESRCH: return "ESRCH";
    case EPERM: return "EPERM";
    case EFAULT: return "EFAULT";
    case ENOMEM: return "ENOMEM";
    case EINVAL: return "EINVAL";
    default: return fmt::format("errno {}", err);
  }
}

}  // namespace

Status MemoryReader::read_many(std::span<const ReadOp> ops) {
  for (const ReadOp& op : ops) {
    if (Status st = read(op.addr, op.out); !st) return st;
  }
  return {};
}

Status ProcessMemory::read(uint64_t addr, std::span<uint8_t> out) {
  ReadOp op{addr, out};
  return read_many({&op, 1});
}

Status ProcessMemory::read_many(std::span<const ReadOp> ops) {
  std::vector<iovec> local, remote;
  for (size_t first = 0; first < ops.size(); first += IOV_MAX) {
    size_t n = std::min<size_t>(IOV_MAX, ops.size() - first);
    local.resize(n);
    remote.resize(n);
    size_t want = 0;
    for (size_t i = 0; i < n; ++i) {
      const ReadOp& op = ops[first + i];
      local[i] = {op.out.data(), op.out.size()};
      remote[i] = {reinterpret_cast<void*>(op.addr), op.out.size()};
      want += op.out.size();
    }
    ++calls_;
    ssize_t got = process_vm_readv(pid_, local.data(), n, remote.data(), n, 0);
    if (got == ssize_t(want)) continue;
    int err = got < 0 ? errno : EFAULT;
    // Where it stopped: the kernel copies the iovecs in order and stops at the first byte it
    // cannot read (a partial read), or fails outright on the first.
    uint64_t addr = ops[first].addr;
    size_t size = ops[first].out.size();
    if (got > 0) {
      size_t done = size_t(got);
      for (size_t i = 0; i < n; ++i) {
        const ReadOp& op = ops[first + i];
        if (done < op.out.size()) {
          addr = op.addr + done;
          size = op.out.size() - done;
          break;
        }
        done -= op.out.size();
      }
    }
    switch (err) {
      case ESRCH:
        return make_error("PID {} is gone: no such process (ESRCH from process_vm_readv)", pid_);
      case EPERM:
      case EACCES:
        return make_error(
            "not permitted to read the memory of PID {} ({}): run as root or with "
            "CAP_SYS_PTRACE, or as its user where kernel.yama.ptrace_scope allows ptrace",
            pid_, errno_name(err));
      case EFAULT:
        return make_error("address 0x{:x} ({} bytes) is not mapped in PID {} (EFAULT)", addr,
                          size, pid_);
      default:
        return make_error("process_vm_readv of PID {} at 0x{:x}: {} ({})", pid_, addr,
                          strerror(err), errno_name(err));
    }
  }
  return {};
}

std::string_view p_status_name(uint32_t status) {
  switch (static_cast<PStatus>(status)) {
    case PStatus::kIdle: return "idle";
    case PStatus::kRunning: return "running";
    case PStatus::kSyscall: return "syscall";
    case PStatus::kGcStop: return "gcstop";
    case PStatus::kDead: return "dead";
  }
  return "unknown";
}

uint64_t RuntimeSnapshot::local_runnable() const {
  uint64_t n = 0;
  for (const PSample& p : ps) {
    if (p.runq_len) n += *p.runq_len;
    if (p.runnext) ++n;
  }
  return n;
}

Snapshotter Snapshotter::create(const goelf::RuntimeLayout& layout, uint64_t load_bias,
                                std::unique_ptr<MemoryReader> memory, std::string context,
                                SnapshotOptions options) {
  Snapshotter s;
  s.memory_ = std::move(memory);
  s.context_ = std::move(context);
  s.load_bias_ = load_bias;
  s.options_ = options;

  // What is missing, grouped by reason: a stripped binary lacks every global for one reason.
  std::vector<std::pair<std::string, std::vector<std::string>>> missing;
  auto note_missing = [&](const std::string& name, const std::string& reason) {
    for (auto& [r, names] : missing) {
      if (r == reason) {
        names.push_back(name);
        return;
      }
    }
    missing.push_back({reason, {name}});
  };
  auto global = [&](std::string_view name) -> uint64_t {
    for (const goelf::ResolvedGlobal& g : layout.globals) {
      if (g.name != name) continue;
      if (g.address) return *g.address + load_bias;
      note_missing(g.name, g.reason.empty() ? "no address" : g.reason);
      return 0;
    }
    note_missing(std::string(name), "not in the layout's catalog");
    return 0;
  };
  auto field = [&](std::string_view key) -> uint64_t {
    for (const goelf::ResolvedField& f : layout.fields) {
      if (f.key != key) continue;
      if (f.offset) return *f.offset;
      note_missing(f.key, f.reason.empty() ? "no offset" : f.reason);
      return 0;
    }
    note_missing(std::string(key), "not in the layout's catalog");
    return 0;
  };

  // Types from runtime/runtime2.go (go1.19, 1.26, 1.27): gomaxprocs int32; allp []*p;
  // p.id int32, p.status uint32, runqhead/runqtail uint32, runnext guintptr, schedtick uint32; sched.npidle and
  // nmspinning uint32 (1.19) / atomic.Int32 (1.26+), runqsize int32 (1.19) / gQueue.size int32
  // (1.25+, the key schedt.runqsize resolves either).
  s.gomaxprocs_addr_ = global("runtime.gomaxprocs");
  s.allp_addr_ = global("runtime.allp");
  s.sched_addr_ = global("runtime.sched");
  s.p_bytes_ = plan({{field("p.id"), 4, &s.p_id_},
                     {field("p.status"), 4, &s.p_status_},
                     {field("p.runqhead"), 4, &s.p_runqhead_},
                     {field("p.runqtail"), 4, &s.p_runqtail_},
                     {field("p.runnext"), kPtrSize, &s.p_runnext_},
                     {field("p.schedtick"), 4, &s.p_schedtick_}},
                    &s.p_ranges_);
  s.sched_bytes_ = plan({{field("schedt.npidle"), 4, &s.sched_npidle_},
                         {field("schedt.nmspinning"), 4, &s.sched_nmspinning_},
                         {field("schedt.runqsize"), 4, &s.sched_runqsize_}},
                        &s.sched_ranges_);
  if (!missing.empty()) {
    std::string why;
    for (const auto& [reason, names] : missing) {
      if (!why.empty()) why += "; ";
      why += fmt::format("{}: {}", fmt::join(names, ", "), reason);
    }
    s.unavailable_ = make_error("{}: cannot snapshot the runtime state: {}", s.context_, why);
  }
  return s;
}

Result<Snapshotter> Snapshotter::open(pid_t pid, SnapshotOptions options) {
  auto image = probe::open_process_image(pid);
  if (!image) return image.error();
  const std::string& go_version = image->bin.build().go_version;
  Snapshotter s = create(goelf::resolve_layout(image->bin), image->load_bias,
                         std::make_unique<ProcessMemory>(pid),
                         fmt::format("PID {} ({})", pid, image->exe), options);
  s.go_version_ = go_version;
  return s;
}

Result<Snapshotter> Snapshotter::open(pid_t pid, const goelf::GoBinary& bin,
                                      const goelf::RuntimeLayout& layout, SnapshotOptions options) {
  auto bias = probe::read_load_bias(pid, bin, bin.path());
  if (!bias) return bias.error();
  Snapshotter s = create(layout, *bias, std::make_unique<ProcessMemory>(pid),
                         fmt::format("PID {} ({})", pid, bin.path()), options);
  s.go_version_ = bin.build().go_version;
  return s;
}

Status Snapshotter::available() const {
  if (unavailable_) return *unavailable_;
  return {};
}

Status Snapshotter::read_p(uint64_t addr, std::vector<uint8_t>* buf) {
  buf->resize(p_bytes_);
  std::vector<ReadOp> ops;
  add_ops(addr, p_ranges_, *buf, &ops);
  return memory_->read_many(ops);
}

Result<bool> Snapshotter::take_once(RuntimeSnapshot* out) {
  uint64_t calls_before = memory_->calls();
  // (1) gomaxprocs, the allp slice header {array, len, cap}, the sched fields.
  uint8_t gomaxprocs[4];
  uint8_t header[3 * kPtrSize];
  std::vector<uint8_t> sched(sched_bytes_);
  std::vector<ReadOp> ops = {{gomaxprocs_addr_, gomaxprocs}, {allp_addr_, header}};
  add_ops(sched_addr_, sched_ranges_, sched, &ops);
  if (Status st = memory_->read_many(ops); !st) {
    return make_error("{}: reading runtime.gomaxprocs, runtime.allp and runtime.sched: {}",
                      context_, st.error().message);
  }
  out->gomaxprocs = load<int32_t>(gomaxprocs, 0);
  out->allp_array = load<uint64_t>(header, 0);
  out->allp_len = load<uint64_t>(header, kPtrSize);
  out->allp_cap = load<uint64_t>(header, 2 * kPtrSize);
  out->npidle = load<int32_t>(sched, sched_npidle_.at);
  out->nmspinning = load<int32_t>(sched, sched_nmspinning_.at);
  out->global_runq = load<int32_t>(sched, sched_runqsize_.at);
  out->ps.clear();
  out->torn = 0;
  out->p_retries = 0;
  auto done = [&](bool consistent) {
    out->read_calls += memory_->calls() - calls_before;
    return consistent;
  };

  if (out->allp_len > out->allp_cap || out->allp_cap > kMaxAllp ||
      (out->allp_len > 0 && out->allp_array == 0)) {
    inconsistency_ = fmt::format("impossible allp header (array 0x{:x}, len {}, cap {})",
                                 out->allp_array, out->allp_len, out->allp_cap);
    return done(false);
  }
  // Before schedinit's procresize (go1.26 runtime/proc.go) allp is empty: no Ps yet.
  if (out->allp_len == 0) return done(true);
  // procresize leaves len(allp) == gomaxprocs (go1.19-1.27 runtime/proc.go), changing both
  // with the world stopped; a read in between retries. Anything else steadily means the
  // addresses are wrong (a global found from code in a stripped binary, goelf/globals.h).
  if (out->allp_len != static_cast<uint64_t>(out->gomaxprocs)) {
    inconsistency_ = fmt::format("len(runtime.allp) is {} but runtime.gomaxprocs is {}",
                                 out->allp_len, out->gomaxprocs);
    return done(false);
  }

  // (2) The allp array.
  std::vector<uint64_t> ptrs(out->allp_len);
  std::span<uint8_t> ptr_bytes(reinterpret_cast<uint8_t*>(ptrs.data()), ptrs.size() * kPtrSize);
  if (Status st = memory_->read(out->allp_array, ptr_bytes); !st) {
    return make_error("{}: reading runtime.allp's {} entries at 0x{:x}: {}", context_,
                      out->allp_len, out->allp_array, st.error().message);
  }
  for (size_t i = 0; i < ptrs.size(); ++i) {
    if (ptrs[i] == 0) {
      inconsistency_ = fmt::format("allp[{}] is nil", i);
      return done(false);
    }
  }

  // (3) Every P's ranges, then the allp header again: the kernel copies iovecs in order.
  std::vector<uint8_t> ps(ptrs.size() * p_bytes_);
  uint8_t header2[3 * kPtrSize];
  ops.clear();
  for (size_t i = 0; i < ptrs.size(); ++i) {
    add_ops(ptrs[i], p_ranges_, std::span(ps).subspan(i * p_bytes_, p_bytes_), &ops);
  }
  ops.push_back({allp_addr_, header2});
  if (Status st = memory_->read_many(ops); !st) {
    return make_error("{}: reading the {} Ps of runtime.allp: {}", context_, ptrs.size(),
                      st.error().message);
  }
  if (std::memcmp(header, header2, sizeof(header)) != 0) {
    inconsistency_ = fmt::format(
        "the allp header changed from (array 0x{:x}, len {}, cap {}) to (array 0x{:x}, len {}, "
        "cap {})",
        out->allp_array, out->allp_len, out->allp_cap, load<uint64_t>(header2, 0),
        load<uint64_t>(header2, kPtrSize), load<uint64_t>(header2, 2 * kPtrSize));
    return done(false);
  }

  std::vector<uint8_t> reread;
  for (size_t i = 0; i < ptrs.size(); ++i) {
    std::span<const uint8_t> buf = std::span(ps).subspan(i * p_bytes_, p_bytes_);
    PSample p;
    p.addr = ptrs[i];
    p.id = load<int32_t>(buf, p_id_.at);
    if (p.id < 0 || uint64_t(p.id) != i) {
      inconsistency_ = fmt::format("allp[{}] points to the P with id {}", i, p.id);
      return done(false);
    }
    for (;;) {
      p.status = load<uint32_t>(buf, p_status_.at);
      p.runqhead = load<uint32_t>(buf, p_runqhead_.at);
      p.runqtail = load<uint32_t>(buf, p_runqtail_.at);
      p.runnext = load<uint64_t>(buf, p_runnext_.at) != 0;
      p.schedtick = load<uint32_t>(buf, p_schedtick_.at);
      uint32_t len = p.runqtail - p.runqhead;  // uint32 wrap-around, as the runtime
      if (len <= kLocalRunQueueCapacity) {
        p.runq_len = len;
        break;
      }
      if (p.retries == options_.p_retries) {
        p.torn = true;
        ++out->torn;
        break;
      }
      ++p.retries;
      ++out->p_retries;
      if (Status st = read_p(p.addr, &reread); !st) {
        return make_error("{}: re-reading P {} at 0x{:x}: {}", context_, i, p.addr,
                          st.error().message);
      }
      buf = reread;
    }
    out->ps.push_back(p);
  }
  return done(true);
}

Result<RuntimeSnapshot> Snapshotter::take() {
  if (unavailable_) return *unavailable_;
  RuntimeSnapshot snap;
  auto start = std::chrono::steady_clock::now();
  snap.mono_ns = monotonic_ns();
  for (uint32_t attempt = 0;; ++attempt) {
    auto consistent = take_once(&snap);
    if (!consistent) return consistent.error();
    if (*consistent) break;
    if (attempt == options_.allp_retries) {
      return make_error("{}: runtime.allp stayed inconsistent over {} reads (last: {}); is "
                        "GOMAXPROCS being changed?",
                        context_, attempt + 1, inconsistency_);
    }
    ++snap.allp_retries;
  }
  snap.read_ns = uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(
                              std::chrono::steady_clock::now() - start)
                              .count());
  return snap;
}

Result<SampleStats> Snapshotter::sample(
    double rate_hz, std::chrono::nanoseconds duration, std::stop_token stop,
    const std::function<bool(const RuntimeSnapshot&)>& on_sample) {
  using Clock = std::chrono::steady_clock;
  if (!(rate_hz > 0) || rate_hz > 1e6) {
    return make_usage_error("sampling rate {} Hz is out of range (0, 1000000]", rate_hz);
  }
  if (Status st = available(); !st) return st.error();
  const auto period = std::chrono::nanoseconds(int64_t(1e9 / rate_hz));
  const Clock::time_point start = Clock::now();
  const Clock::time_point end =
      duration >= Clock::time_point::max() - start ? Clock::time_point::max() : start + duration;
  std::mutex mu;
  std::condition_variable_any cv;
  SampleStats stats;
  Clock::time_point next = start;  // the next tick not yet taken or skipped
  while (!stop.stop_requested()) {
    Clock::time_point now = Clock::now();
    if (now >= end) {
      // Ticks before the end that a slow take() or a late wake-up left: late, not lost.
      if (next < end) {
        stats.late += uint64_t((end - next + period - std::chrono::nanoseconds(1)) / period);
      }
      break;
    }
    if (now < next) {
      std::unique_lock lock(mu);
      cv.wait_until(lock, stop, std::min(next, end), [] { return false; });
      continue;
    }
    // Ticks wholly in the past are skipped; the latest due one is taken now.
    auto missed = (now - next) / period;
    stats.late += uint64_t(missed);
    next += missed * period;
    auto snap = take();
    if (!snap) return snap.error();
    ++stats.samples;
    stats.torn += snap->torn;
    stats.total_read_ns += snap->read_ns;
    if (!on_sample(*snap)) break;
    next += period;
  }
  return stats;
}

}  // namespace gri::snapshot
