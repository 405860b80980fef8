/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Preemption experiment (EXP-02): data shared by bpf/preempt.bpf.c and user/exp/preempt.
 * Plain C only: fixed-width types, no pointers, explicit padding.
 */
#ifndef GRI_BPF_PREEMPT_H
#define GRI_BPF_PREEMPT_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#include "go_offsets.h"

/* SIGURG on Linux (x86-64 and arm64): the runtime's preemption signal, sigPreempt
 * (src/runtime/signal_unix.go, Go 1.19-1.27). */
#define PREEMPT_SIGURG 23

/* The result argument of the signal_generate tracepoint (include/trace/events/signal.h). */
#define PREEMPT_SIGNAL_DELIVERED 0
#define PREEMPT_SIGNAL_ALREADY_PENDING 2

/* Indexes of the per-CPU counters map. */
enum preempt_counter {
	PREEMPT_CTR_REQ_SYSMON = 0,	/* runtime.preemptone from an M without a P: sysmon's retake */
	PREEMPT_CTR_REQ_OTHER,		/* ... from an M with a P: preemptall (stop the world, GC) */
	PREEMPT_CTR_REQ_UNKNOWN,	/* ... the M could not be read */
	PREEMPT_CTR_SIGURG,		/* SIGURG generated for a thread of the target */
	PREEMPT_CTR_SIGURG_PENDING,	/* ... while one was still pending there: merged by the kernel */
	PREEMPT_CTR_ASYNC,		/* runtime.asyncPreempt2 entries: async preemptions taken */
	PREEMPT_CTR_ASYNC_SYSMON,	/* ... of a slice sysmon had asked to cut (its slice is timed) */
	PREEMPT_CTR_LATENCY,		/* ... with the time of the thread's SIGURG: latency known */
	PREEMPT_CTR_SLICE_PREV,		/* ... whose slice began at the P's previous preemption */
	PREEMPT_CTR_SLICE_SYSMON,	/* ... whose slice length is from sysmon's clock (a lower bound) */
	PREEMPT_CTR_SLICE_UNKNOWN,	/* ... no slice length: P unreadable or clocks disagree */
	PREEMPT_CTR_NR,
};

/*
 * Histograms of microseconds, log-linear: below PREEMPT_HIST_LINEAR each value has its own
 * slot; above, each power of two [2^e, 2^(e+1)) is cut into PREEMPT_HIST_SUB slots of equal
 * width (12.5% of the value at most). Values of 2^(PREEMPT_HIST_MAX_EXP+1) us and more share
 * the last slot. user/exp/preempt/histogram.h turns slots back into bounds.
 */
#define PREEMPT_HIST_LINEAR 16	/* 2^4 */
#define PREEMPT_HIST_SUB_BITS 3
#define PREEMPT_HIST_SUB (1 << PREEMPT_HIST_SUB_BITS)
#define PREEMPT_HIST_MAX_EXP 34	/* 2^35 us: 9.5 hours */
#define PREEMPT_HIST_SLOTS (PREEMPT_HIST_LINEAR + (PREEMPT_HIST_MAX_EXP - 4 + 1) * PREEMPT_HIST_SUB)

/*
 * The slot of v (us). Code in this data header because it is the layout itself: the BPF
 * side fills slots with it, the user side's tests check its bounds against it.
 * floor(log2(v)) without a loop: the BPF backend has no count-leading-zeros.
 */
static inline __u32 preempt_hist_slot(__u64 v)
{
	__u64 x = v;
	__u32 e = 0, s;

	if (v < PREEMPT_HIST_LINEAR)
		return (__u32)v;
	s = (x > 0xffffffffULL) << 5; x >>= s; e |= s;
	s = (x > 0xffffULL) << 4; x >>= s; e |= s;
	s = (x > 0xffULL) << 3; x >>= s; e |= s;
	s = (x > 0xfULL) << 2; x >>= s; e |= s;
	s = (x > 0x3ULL) << 1; x >>= s; e |= s;
	e |= (__u32)(x >> 1);
	if (e > PREEMPT_HIST_MAX_EXP)
		return PREEMPT_HIST_SLOTS - 1;
	return PREEMPT_HIST_LINEAR + (e - 4) * PREEMPT_HIST_SUB +
	       (__u32)((v >> (e - PREEMPT_HIST_SUB_BITS)) & (PREEMPT_HIST_SUB - 1));
}

/* The histograms, each PREEMPT_HIST_SLOTS keys of one per-CPU array (key hist * SLOTS + slot). */
enum preempt_hist {
	PREEMPT_HIST_LATENCY = 0,	/* SIGURG generated -> asyncPreempt2 on that thread, in us */
	PREEMPT_HIST_SLICE,		/* how long the preempted slice had run, in us */
	PREEMPT_HIST_DELIVERY,		/* SIGURG generated -> delivered (the thread runs its handler) */
	PREEMPT_HIST_HANDLER,		/* SIGURG delivered -> asyncPreempt2 on that thread */
	PREEMPT_HIST_NR,
};

/*
 * Fields read at runtime.asyncPreempt2 to time the preempted slice, from the binary's layout
 * (src/runtime/runtime2.go, Go 1.19-1.27): p.schedtick counts the slices the P started
 * (execute), p.sysmontick is sysmon's view of them (retake, src/runtime/proc.go).
 */
struct preempt_offsets {
	struct go_offsets go;		/* g.m, m.p (g_goid and p_id unused) */
	__u32 p_schedtick;		/* runtime.p.schedtick (uint32) */
	__u32 p_sysmon_schedtick;	/* runtime.p.sysmontick.schedtick (uint32) */
	__u32 p_sysmon_schedwhen;	/* runtime.p.sysmontick.schedwhen (int64, nanotime) */
	__u32 pad;
};

struct preempt_config {
	__u32 tgid;	/* process to trace (tp_btf handlers filter on it: never 0 here) */
	__u32 go_ok;	/* 1 when off.go is complete: requests are split by caller */
	__u32 slices;	/* 1 when off is complete: time the preempted slices */
	__u32 timeline;	/* 1: one preempt_event per SIGURG and async preemption (--perfetto) */
	struct preempt_offsets off;
};

/*
 * The timeline ring (--perfetto): one record per SIGURG queued for a target thread and per
 * async preemption taken, each a few per 10 ms slice at most. User space sets the ring's size
 * before load and drains it while the session runs; what finds it full is counted in
 * lost_timeline.
 */
#define PREEMPT_TIMELINE_RING_BYTES (1u << 20)	/* 32768 records */

enum preempt_event_kind {
	PREEMPT_EV_SIGURG = 1,	/* signal_generate: tid receives, peer sent it */
	PREEMPT_EV_ASYNC = 2,	/* runtime.asyncPreempt2 on thread tid, P p */
};

struct preempt_event {
	__u64 ktime_ns;
	__u32 kind;	/* enum preempt_event_kind */
	__u32 tid;	/* the thread the event is about (root PID namespace) */
	__u32 peer;	/* SIGURG: the sending thread (sysmon's or a stopper's); else 0 */
	__s32 p;	/* ASYNC: p.id of the preempted goroutine's P; -1 unknown */
};

#endif /* GRI_BPF_PREEMPT_H */
