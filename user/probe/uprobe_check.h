// Self-tests of the probe machinery on gri itself (bpf/selftest.bpf.c), for gri doctor and
// tests/runtime. Each loads only its own programs, runs something with a known answer in
// this process, and returns the raw numbers; the verdicts are the callers'.
//  - uprobe: a uprobe on a function of gri, called N times: N hits, and the cost of one
//    (the figure every report's overhead estimate starts from);
//  - tracepoints: sched_switch, sched_wakeup, signal_generate filtered to this process,
//    with a bystander child doing the same things, whose events must be dropped;
//  - sampling: cpu-clock sampling filtered to this process while it spins;
//  - ringbuf: a burst of records into a one-page ring that nobody consumes;
//  - hw counters: cycles, instructions, cache-misses read from BPF.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"
#include "probe/kernel_events.h"

namespace gri::probe {

// A uprobe's cost depends on the instruction it replaces: the kernel emulates a few (PUSH, on
// x86-64 since Linux 6.x) and single-steps the rest out of line, with a second trap.
// Measured here on Linux 6.18: about 0.4 us on PUSH %rbp, 15 us on RET. Go entry probes sit
// on the PUSHQ BP after the stack check; return probes sit on RETs.
struct SelftestResult {
  uint64_t calls = 0;
  uint64_t hits = 0;           // on the RET-only function
  double ns_per_hit = 0;       // a single-stepped probe (RET): probed minus unprobed call time
  uint64_t push_hits = 0;      // on the function that starts with PUSH %rbp
  double ns_per_push_hit = 0;  // an emulated probe (PUSH %rbp)
};

Result<SelftestResult> run_uprobe_selftest(uint64_t calls);

// The calling thread sleeps 1 ms `rounds` times and sends SIGURG `rounds` times to itself
// and to a bystander child, which sleeps `rounds` times too. BTF tracepoints count by
// task->tgid; a classic sched_switch tracepoint counts by current (prev side).
struct TracepointSelftestResult {
  uint64_t rounds = 0;
  uint32_t signal = 0;             // the signal sent (SIGURG)
  uint64_t switch_out = 0;         // sched_switch, prev is one of our threads
  uint64_t switch_in = 0;          // next is one of ours
  uint64_t switch_other = 0;       // prev or next is the bystander's
  uint64_t switch_prev_not_current = 0;  // must be 0
  uint64_t wakeup = 0;             // sched_wakeup of our threads
  uint64_t wakeup_other = 0;       // of the bystander's
  uint64_t signal_ours = 0;        // signal_generate received by us
  uint64_t signal_other = 0;       // received by the bystander
  uint64_t signal_sent = 0;        // sent by us (current), to anyone: what a sender filter sees
  std::string classic_unavailable;  // why the classic tracepoint did not attach, if it did not
  uint64_t classic_switch_out = 0;
  uint64_t classic_prev_not_current = 0;  // must be 0
  uint32_t own_tid = 0;
  uint64_t own_tid_events = 0;     // kept events of the calling thread
  std::vector<uint32_t> foreign_tids;  // kept thread ids that /proc/self/task does not list
};

Result<TracepointSelftestResult> run_tracepoint_selftest(uint64_t rounds);

// cpu-clock sampling at frequency_hz on every online CPU, filtered in BPF to this
// process, while the calling thread spins until it has run spin_ms on a CPU.
struct SamplingSelftestResult {
  uint64_t frequency_hz = 0;
  uint64_t spin_ms = 0;
  double cpu_ms = 0;                // the thread's CPU time during the spin
  double wall_ms = 0;               // wall time of the spin (more when the CPU is shared)
  uint64_t cpus = 0;
  uint64_t expected = 0;            // frequency_hz * cpu_ms / 1000
  uint64_t samples = 0;             // of this process, during the spin
  uint64_t samples_user_stack = 0;  // of those, with at least one user frame
  uint64_t user_frames = 0;         // summed over samples
  uint64_t samples_other = 0;       // of other tasks (idle included), dropped by the filter
};

Result<SamplingSelftestResult> run_sampling_selftest(uint64_t frequency_hz, uint64_t spin_ms);

// One uprobe hit outputs `events` records of SELFTEST_RECORD_SIZE bytes into a ring of one
// page that nobody consumes; then the ring is consumed.
struct RingbufSelftestResult {
  uint64_t ring_bytes = 0;
  uint64_t record_bytes = 0;  // what one record takes in the ring, header included
  uint64_t fit = 0;           // records that fit, by the kernel's rule
  uint64_t submitted = 0;
  uint64_t reserved = 0;      // counted in BPF
  uint64_t lost = 0;          // counted in BPF by events_output
  uint64_t consumed = 0;      // read back by user space
  bool in_order = false;      // consumed records are seq 0, 1, ... consumed-1
};

Result<RingbufSelftestResult> run_ringbuf_selftest(uint32_t events);

// Enough records to overflow a one-page ring here: 100 with 4 KiB pages (15 fit), twice
// what fits with larger pages.
uint32_t ringbuf_selftest_events();

// Hardware counters opened with open_hw_counter and read by a uprobe with
// bpf_perf_event_read_value.
struct HwCounterReading {
  HwCounter counter = HwCounter::kCycles;
  std::string unavailable;  // empty: opened on every online CPU
  int64_t err = 0;          // the BPF read's result (0 or -errno), when available
  uint64_t value = 0;
  uint64_t enabled_ns = 0;
  uint64_t running_ns = 0;
};

struct HwSelftestResult {
  std::vector<HwCounterReading> counters;  // cycles, instructions, cache-misses
};

Result<HwSelftestResult> run_hw_counter_selftest();

}  // namespace gri::probe
