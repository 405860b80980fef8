/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * BPF-side helpers for kernel events: keeping only the target process's events,
 * reading hardware counters, and ring-buffer output that counts what it loses.
 *
 * Filtering by target: the configured tgid (0: every process) is compared with the
 * tgid of the task the event is about, which is not always the current task:
 *
 *   event             runs in the context of          the task it is about
 *   sched_switch      prev (__schedule calls the       prev (switch-out), next (switch-in)
 *                     tracepoint before context_switch)
 *   sched_wakeup      the waker, or an interrupt       p, the wakee
 *                     (hrtimer wakeups: hardirq)
 *   signal_generate   the sender                       task, the receiver
 *   perf sample       the interrupted task             current
 *
 * So bpf_get_current_pid_tgid() is right only for sched_switch's prev side and for
 * perf samples. Classic tracepoints (SEC("tracepoint/...")) give thread ids only
 * (prev_pid, next_pid, pid), and no helper maps a thread id to its tgid there; the
 * BTF-typed tracepoints (SEC("tp_btf/...")) get the task_struct pointers themselves,
 * so the handlers in gri are tp_btf and read task->tgid. They need BTF, which gri
 * needs anyway, and skip the trace-event record that a classic tracepoint fills in
 * first (libbpf-tools' runqlat and offcputime prefer tp_btf for the same reasons).
 * A Go process's SIGURG preemption signals are sent by the target itself (sysmon's
 * preemptM -> signalM -> tgkill, Go src/runtime/preempt.go, signal_unix.go), so a
 * sender filter would also count what the target sends to other processes.
 */
#ifndef GRI_EVENTS_BPF_H
#define GRI_EVENTS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#ifndef ENOSPC
#define ENOSPC 28
#endif

/* The tgid (process id) of a task; works with BTF pointers and raw ones alike. */
static __always_inline __u32 task_tgid(const struct task_struct *task)
{
	return BPF_CORE_READ(task, tgid);
}

/* True when task belongs to the traced process (tgid 0: any process). */
static __always_inline bool task_in_target(const struct task_struct *task, __u32 tgid)
{
	return tgid == 0 || task_tgid(task) == tgid;
}

/* True when the current task belongs to the traced process (tgid 0: any process). */
static __always_inline bool current_in_target(__u32 tgid)
{
	return tgid == 0 || (bpf_get_current_pid_tgid() >> 32) == tgid;
}

/* Which side of a context switch belongs to the target: a mask of these. */
#define SWITCH_OUT 1	/* prev is a target thread: it leaves the CPU */
#define SWITCH_IN 2	/* next is a target thread: it gets the CPU */

static __always_inline int switch_target_sides(const struct task_struct *prev,
					       const struct task_struct *next, __u32 tgid)
{
	return (task_in_target(prev, tgid) ? SWITCH_OUT : 0) |
	       (task_in_target(next, tgid) ? SWITCH_IN : 0);
}

/*
 * Reads this CPU's counter from a BPF_MAP_TYPE_PERF_EVENT_ARRAY that user space filled
 * with one perf event per CPU at the CPU's index. 0 or a negative errno: -ENOENT when
 * the slot is empty (no hardware PMU, so user space opened nothing). The enabled and
 * running times tell whether the PMU multiplexed the counter (running < enabled).
 */
static __always_inline long perf_counter_read(void *perf_event_array,
					      struct bpf_perf_event_value *value)
{
	return bpf_perf_event_read_value(perf_event_array, BPF_F_CURRENT_CPU, value,
					 sizeof(*value));
}

/*
 * Frames in the current task's user stack, or a negative errno. buf holds max_frames
 * addresses (a per-CPU map value: 127 frames do not fit on the 512-byte BPF stack).
 * Without frame pointers the kernel still returns the sampled instruction pointer.
 */
static __always_inline long user_stack_frames(void *ctx, __u64 *buf, __u32 max_frames)
{
	long n = bpf_get_stack(ctx, buf, max_frames * sizeof(__u64), BPF_F_USER_STACK);

	/* Unsigned: the BPF backend of clang 14 cannot divide signed values. */
	return n < 0 ? n : (long)((__u64)n / sizeof(__u64));
}

/*
 * Ring-buffer output: reserves size bytes in rb, copies data and submits, or counts one
 * lost event in *lost when the ring is full (0, or -ENOSPC). size must be a constant at
 * each call site: bpf_ringbuf_reserve's size argument must be known to the verifier.
 * Every record costs round_up(size + 8, 8) bytes of the ring (BPF_RINGBUF_HDR_SZ,
 * kernel/bpf/ringbuf.c).
 */
static __always_inline long events_output(void *rb, const void *data, __u32 size, __u64 *lost)
{
	void *slot = bpf_ringbuf_reserve(rb, size, 0);

	if (!slot) {
		__sync_fetch_and_add(lost, 1);
		return -ENOSPC;
	}
	__builtin_memcpy(slot, data, size);
	bpf_ringbuf_submit(slot, 0);
	return 0;
}

#endif /* GRI_EVENTS_BPF_H */
