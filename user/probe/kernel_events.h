// Kernel events for BPF programs: tracepoints, cpu-clock perf sampling, hardware counters
// and ring buffers, each attached or opened with RAII ownership and one-line errors that
// name what failed and strerror.
//
// Filtering by target happens in BPF (bpf/events.bpf.h): perf events are opened on every
// online CPU for the whole system (pid -1), as libbpf-tools' profile does, because a
// per-task event (pid = tgid) would follow one thread only and miss threads the target
// starts later; the BPF program then drops what is not the target's.
#pragma once

#include <linux/perf_event.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <memory>
#include <mutex>
#include <thread>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "probe/owned.h"

struct bpf_map;
struct bpf_program;
struct ring_buffer;
extern "C" void ring_buffer__free(struct ring_buffer* rb);

namespace gri::probe {

// An owned file descriptor (perf events).
class ScopedFd {
 public:
  ScopedFd() = default;
  explicit ScopedFd(int fd) : fd_(fd) {}
  ScopedFd(ScopedFd&& o) noexcept : fd_(o.release()) {}
  ScopedFd& operator=(ScopedFd&& o) noexcept;
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  ~ScopedFd();

  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  explicit operator bool() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// --- tracepoints --------------------------------------------------------------------

// Where tracepoint ids are looked up: tracefs, then its old place under debugfs
// (libbpf 1.1 looks in the same two places).
const std::vector<std::string>& tracefs_roots();

// Reads <root>/events/<category>/<name>/id from the first root that has it; the error
// names the tracepoint, the paths tried and strerror, and says that tracefs may not be
// mounted (gri doctor mounts it).
Result<uint64_t> read_tracepoint_id(std::string_view category, std::string_view name,
                                    const std::vector<std::string>& roots = tracefs_roots());

// Attaches prog to the tracepoint category:name ("sched", "sched_switch"), by the kind of
// program it is:
//  - SEC("tracepoint/<category>/<name>"): a classic tracepoint, through its tracefs id
//    (read first, for a clear error when tracefs is not mounted);
//  - SEC("tp_btf/<name>"): a BTF-typed tracepoint, through the kernel's BTF (no tracefs);
//    its section must name the same tracepoint, since the kernel binds it at load time;
//  - SEC("raw_tp/<name>"): a raw tracepoint, by name.
Result<Link> attach_tracepoint(bpf_program* prog, std::string_view category,
                               std::string_view name);

// --- perf events --------------------------------------------------------------------

// "0-3,6\n" (/sys/devices/system/cpu/online) -> {0, 1, 2, 3, 6}.
Result<std::vector<int>> parse_cpu_list(std::string_view text);
Result<std::vector<int>> online_cpus();

// perf_event_open(2) with close-on-exec; the fd, or -1 with errno set.
int perf_event_open_fd(const struct perf_event_attr& attr, pid_t pid, int cpu);

// cpu-clock sampling at frequency_hz on every online CPU, for the whole system, each CPU's
// event running prog (SEC("perf_event")), which filters by target itself. One link per
// CPU; each link owns its perf event (libbpf closes it on destroy).
Result<std::vector<Link>> attach_cpu_clock_sampling(bpf_program* prog, uint64_t frequency_hz);

enum class HwCounter { kCycles, kInstructions, kCacheMisses };
std::string_view hw_counter_name(HwCounter counter);  // "cycles", "instructions", ...

// The attr of a counting (not sampling) hardware event, user and kernel.
perf_event_attr hw_counter_attr(HwCounter counter);

// Why a perf_event_open errno means "this machine has no such counter" rather than a
// failure: ENOENT (no hardware PMU: the generic event has no PMU to go to, as in most
// VMs), EOPNOTSUPP and EINVAL from PMUs that do not count this event. nullopt for other
// errors (EACCES, EPERM, EMFILE ...), which are failures.
std::optional<std::string> hw_unavailable_reason(HwCounter counter, int err);

// One hardware counter on every online CPU, installed at the CPU's index of a
// BPF_MAP_TYPE_PERF_EVENT_ARRAY, where bpf_perf_event_read_value(map, BPF_F_CURRENT_CPU)
// reads it. When the machine cannot count it, `unavailable` says why ("unavailable: no
// hardware PMU ...") for the caller's report: that is a value, not an error.
struct HwCounterSet {
  HwCounter counter = HwCounter::kCycles;
  std::vector<int> cpus;
  std::vector<ScopedFd> fds;  // one per entry of cpus; the map holds its own references
  std::string unavailable;    // empty: available

  bool available() const { return unavailable.empty(); }
};

Result<HwCounterSet> open_hw_counter(HwCounter counter, bpf_map* perf_event_array);

// Whether this process may open one hardware counter on itself (pid 0, any CPU): 0, or
// the errno. gri doctor's raw check, with the same attr as open_hw_counter.
int try_open_hw_counter(HwCounter counter);

// "" when a hardware cycles counter opens for this process; otherwise why not, in
// hw_unavailable_reason's words ("unavailable: no hardware PMU for cycles ...").
std::string hw_pmu_unavailable();

// --- ring buffers -------------------------------------------------------------------

using RingBuffer = Owned<ring_buffer, ring_buffer__free>;
using RingBufferCallback = int (*)(void* ctx, void* data, size_t size);

// A consumer of a BPF_MAP_TYPE_RINGBUF map; the error names the map.
Result<RingBuffer> open_ring_buffer(bpf_map* map, RingBufferCallback callback, void* ctx);

// A ring buffer emptied on a thread of its own every 100 ms while the session runs, so that
// a busy producer does not fill it, and once more, whole, by finish(). The callback runs
// under a lock, on that thread or in finish(); its context is safe to read after finish().
class PolledRing {
 public:
  static Result<std::unique_ptr<PolledRing>> open(bpf_map* map, RingBufferCallback callback, void* ctx);
  ~PolledRing();
  // Stops the thread and consumes what is left; an error when the last read fails.
  Result<void> finish();

 private:
  PolledRing() = default;
  RingBuffer ring_;
  std::mutex mu_;  // ring_ and the callback's context
  std::jthread poller_;
};

// Bytes one record of `size` bytes takes in a ring (8-byte header, rounded up to 8:
// BPF_RINGBUF_HDR_SZ and __bpf_ringbuf_reserve in kernel/bpf/ringbuf.c), and how many
// such records fit in an empty ring of ring_bytes before a reserve fails.
uint64_t ringbuf_record_bytes(uint64_t size);
uint64_t ringbuf_records_that_fit(uint64_t ring_bytes, uint64_t size);

}  // namespace gri::probe
