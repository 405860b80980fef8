// Runtime state snapshots: the scheduler's own numbers read out of a live Go process's memory
// with process_vm_readv, at the addresses of runtime globals and with struct offsets from the
// binary's DWARF (goelf/runtime_layout.h). Costs the target nothing (DESIGN.md, "How data is
// obtained", item 1): this is schedtrace without GODEBUG and without a restart.
//
// What one snapshot holds (the fields of GODEBUG=schedtrace, runtime/proc.go schedtrace,
// go1.19-1.27): runtime.gomaxprocs; the runtime.allp slice and, per P, id, status, runqhead,
// runqtail, runnext and the local run queue length; sched's global run queue size, npidle and
// nmspinning.
//
// Torn reads. The target keeps running while we read, so a snapshot is a set of individually
// read words, not a stop-the-world view. The policy:
//  - take() makes three process_vm_readv calls when nothing is torn: (1) gomaxprocs, the allp
//    slice header and the sched fields; (2) the allp array; (3) every P's fields (per P, the
//    fields are merged into the few contiguous ranges that hold them, so runqhead and runqtail,
//    adjacent uint32s, come from one copy) followed by the allp header once more.
//  - allp: if the second header differs from the first, if the header is impossible (len >
//    cap, a nil array with len > 0), if an allp entry is nil (procresize fills new entries after
//    growing the slice, go1.26 runtime/proc.go), or if a P's id is not its index (procresize sets
//    pp.id = i), the whole take is retried, up to SnapshotOptions::allp_retries times; then take()
//    fails saying what stayed inconsistent. P structs are never freed ("can't free P itself
//    because it can be referenced by an M in syscall", procresize in go1.26 runtime/proc.go), so
//    a stale P pointer still reads a P.
//  - per P: the local run queue length is runqtail - runqhead in uint32 arithmetic, as the
//    runtime computes it (schedtrace's "runqsize=t-h", runqput's "t-h < uint32(len(pp.runq))",
//    go1.19 and go1.26 runtime/proc.go). A length above len(p.runq) = 256 (runq [256]guintptr,
//    runtime2.go in go1.19, 1.26, 1.27) can only come from head and tail read at different
//    moments; the runtime's own stealer treats it the same way (runqgrab: "read inconsistent h
//    and t", proc.go). That P's ranges are re-read, up to SnapshotOptions::p_retries times; if
//    still out of range the P is marked torn (runq_len empty) and RuntimeSnapshot::torn counts
//    it. Other fields are single aligned words the runtime writes atomically: no check.
//  - gomaxprocs, allp and the sched counters are read microseconds apart, so they need not agree
//    with each other (npidle can exceed the idle Ps seen, len(allp) can differ from gomaxprocs
//    while procresize runs). Consumers aggregate many snapshots; they do not cross-check one.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "goelf/runtime_layout.h"

namespace gri::snapshot {

// One range of the target's memory to copy into `out`.
struct ReadOp {
  uint64_t addr = 0;
  std::span<uint8_t> out;
};

// The target's memory. Errors are one line naming the address and the reason.
class MemoryReader {
 public:
  virtual ~MemoryReader() = default;
  virtual Status read(uint64_t addr, std::span<uint8_t> out) = 0;
  // Several ranges, in order; all or an error. The default reads them one by one.
  virtual Status read_many(std::span<const ReadOp> ops);
  // Number of read system calls (or read() calls of a fake) made so far: for the cost report.
  virtual uint64_t calls() const { return 0; }
};

// process_vm_readv on a live process: one system call for many ranges (up to IOV_MAX).
// Errors: the process is gone (ESRCH), not permitted (EPERM: needs root, CAP_SYS_PTRACE, or the
// same user with kernel.yama.ptrace_scope allowing it), an address not mapped (EFAULT).
class ProcessMemory final : public MemoryReader {
 public:
  explicit ProcessMemory(pid_t pid) : pid_(pid) {}
  Status read(uint64_t addr, std::span<uint8_t> out) override;
  Status read_many(std::span<const ReadOp> ops) override;
  uint64_t calls() const override { return calls_; }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_;
  uint64_t calls_ = 0;
};

// p.status values: the _P* constants of runtime/runtime2.go. The same numbers in go1.19, 1.26
// and 1.27, with one change: 2 is _Psyscall in go1.19 and _Psyscall_unused in go1.26 and 1.27,
// never set ("a P is identified as 'in a system call' by looking at the goroutine's state"),
// so from 1.26 a P whose G is in a syscall shows as running.
enum class PStatus : uint32_t {
  kIdle = 0,     // _Pidle
  kRunning = 1,  // _Prunning
  kSyscall = 2,  // _Psyscall (go1.19), _Psyscall_unused (go1.26+)
  kGcStop = 3,   // _Pgcstop
  kDead = 4,     // _Pdead: beyond GOMAXPROCS after it shrank
};
inline constexpr uint32_t kMaxPStatus = 4;

// "idle", "running", "syscall", "gcstop", "dead"; "unknown" for anything else.
std::string_view p_status_name(uint32_t status);

// len(p.runq): runq [256]guintptr in runtime/runtime2.go of go1.19, 1.26 and 1.27 (checked
// against the layout of each toolchain's binary by tests/unit/snapshot_test.cpp).
inline constexpr uint32_t kLocalRunQueueCapacity = 256;

struct PSample {
  uint64_t addr = 0;  // the P's address in the target
  int32_t id = 0;     // p.id, int32
  uint32_t status = 0;  // p.status, uint32: a PStatus value
  uint32_t runqhead = 0;
  uint32_t runqtail = 0;
  // runqtail - runqhead (uint32), in [0, 256]; empty when the P's sample stayed torn.
  std::optional<uint32_t> runq_len;
  bool runnext = false;  // p.runnext != 0: one more runnable G, run next by this P
  // p.schedtick, uint32: incremented by execute on every schedule round that does not
  // inherit the time slice (runtime/proc.go, go1.19-1.27); schedtrace's "schedticks".
  uint32_t schedtick = 0;
  bool torn = false;
  uint32_t retries = 0;  // re-reads of this P
};

struct RuntimeSnapshot {
  uint64_t mono_ns = 0;  // CLOCK_MONOTONIC when the read began (the clock of bpf_ktime_get_ns)
  uint64_t read_ns = 0;  // how long take() took
  int32_t gomaxprocs = 0;  // runtime.gomaxprocs, int32
  uint64_t allp_array = 0;
  uint64_t allp_len = 0;
  uint64_t allp_cap = 0;
  std::vector<PSample> ps;  // allp[0:len]
  // sched.runqsize (<= go1.24) / sched.runq.size (go1.25+): the layout key schedt.runqsize.
  int32_t global_runq = 0;
  int32_t npidle = 0;      // sched.npidle: uint32 in go1.19, atomic.Int32 in go1.26/1.27
  int32_t nmspinning = 0;  // sched.nmspinning: the same
  uint32_t torn = 0;          // Ps whose head/tail stayed inconsistent after the retries
  uint32_t p_retries = 0;     // re-reads of single Ps
  uint32_t allp_retries = 0;  // whole takes repeated because allp changed under us
  uint64_t read_calls = 0;    // read system calls this take made

  // Sum of the local run queue lengths of the Ps not torn, plus one per runnext.
  uint64_t local_runnable() const;
};

struct SnapshotOptions {
  uint32_t p_retries = 3;     // re-reads of a torn P before it is counted as torn
  uint32_t allp_retries = 3;  // whole-take repeats when allp changed while we read
};

struct SampleStats {
  uint64_t samples = 0;
  uint64_t late = 0;  // ticks skipped: they passed before they could be taken
  uint64_t torn = 0;  // sum of RuntimeSnapshot::torn
  uint64_t total_read_ns = 0;
};

class Snapshotter {
 public:
  // A live process: its binary through /proc/PID/exe (works across mount namespaces), the
  // layout from it, the PIE load bias from /proc/PID/maps. A binary whose layout lacks what a
  // snapshot needs (a stripped one has no global addresses) opens; take() then fails with the
  // layout's reason.
  static Result<Snapshotter> open(pid_t pid, SnapshotOptions options = {});
  // The same for a process whose binary `bin` (the file it runs) was opened and its layout
  // resolved beforehand: only /proc/PID/maps is read now. A launched command's session does
  // the parsing before the command starts, so that it does not take a CPU from the command
  // while it runs.
  static Result<Snapshotter> open(pid_t pid, const goelf::GoBinary& bin,
                                  const goelf::RuntimeLayout& layout, SnapshotOptions options = {});
  // From a resolved layout and any memory: global addresses are layout address + load_bias.
  // `context` starts error messages ("PID 42 (/usr/bin/app)").
  static Snapshotter create(const goelf::RuntimeLayout& layout, uint64_t load_bias,
                            std::unique_ptr<MemoryReader> memory, std::string context,
                            SnapshotOptions options = {});

  // Whether take() can work at all: the error names the missing globals or offsets and why.
  Status available() const;
  Result<RuntimeSnapshot> take();

  // take() at rate_hz on a fixed grid of ticks (start + k / rate_hz) until `duration` has
  // passed (nanoseconds::max(): no end), `stop` is requested, or on_sample returns false. A
  // tick that passed wholly while an earlier take() ran or the thread slept is skipped and
  // counted as late, so a run that ends by its duration has samples + late = the ticks in it.
  // The first failed take() ends sampling with its error.
  Result<SampleStats> sample(double rate_hz, std::chrono::nanoseconds duration,
                             std::stop_token stop,
                             const std::function<bool(const RuntimeSnapshot&)>& on_sample);

  const std::string& context() const { return context_; }
  const std::string& go_version() const { return go_version_; }
  uint64_t load_bias() const { return load_bias_; }

  // A struct's fields are read as a few contiguous ranges (fields closer than 64 bytes share
  // one), copied back to back into one buffer; a field is found at `at` in that buffer.
  struct Range {
    uint64_t offset = 0;  // from the struct's start
    size_t size = 0;
  };
  struct Field {
    size_t at = 0;
  };

 private:
  Snapshotter() = default;
  Result<bool> take_once(RuntimeSnapshot* out);  // false: allp inconsistent, retry
  Status read_p(uint64_t addr, std::vector<uint8_t>* buf);  // one P's ranges, re-read

  std::unique_ptr<MemoryReader> memory_;
  std::string context_;
  std::string go_version_;
  uint64_t load_bias_ = 0;
  SnapshotOptions options_;
  std::optional<Error> unavailable_;
  std::string inconsistency_;  // why the last take_once asked for a retry

  uint64_t gomaxprocs_addr_ = 0, allp_addr_ = 0, sched_addr_ = 0;
  std::vector<Range> p_ranges_, sched_ranges_;
  size_t p_bytes_ = 0, sched_bytes_ = 0;  // sum of the ranges' sizes
  Field p_id_, p_status_, p_runqhead_, p_runqtail_, p_runnext_, p_schedtick_;
  Field sched_npidle_, sched_nmspinning_, sched_runqsize_;
};

}  // namespace gri::snapshot
