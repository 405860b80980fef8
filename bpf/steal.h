/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Work-stealing experiment (EXP-03): data shared by bpf/steal.bpf.c and user/exp/steal.
 * Plain C only: fixed-width types, no pointers, explicit padding.
 */
#ifndef GRI_BPF_STEAL_H
#define GRI_BPF_STEAL_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* P ids below this get a row and a column of the matrices (key thief * STEAL_MAX_PS + victim);
 * steals involving a larger id are counted in STEAL_CTR_P_RANGE only. */
#define STEAL_MAX_PS 64

/*
 * Goroutines one steal takes: runqgrab takes n - n/2 of the victim's queue and retries when
 * that is more than len(p.runq)/2 = 128 (Go 1.19-1.27 src/runtime/proc.go, runqgrab), so
 * 1..128. Slot n counts steals of n goroutines; more than 128 goes to STEAL_CTR_OVER_HALF.
 */
#define STEAL_MAX_BATCH 128
#define STEAL_BATCH_SLOTS (STEAL_MAX_BATCH + 1)

enum steal_counter {
	STEAL_CTR_ATTEMPTS = 0,	/* runqgrab entries: one per victim P tried */
	STEAL_CTR_RETURNS,	/* runqgrab RET probes hit (without --all-returns: successes only) */
	STEAL_CTR_ZERO_RETURNS,	/* ... that returned 0 (probed only with --all-returns) */
	STEAL_CTR_STEALS,	/* returns of n > 0: successful steals */
	STEAL_CTR_STOLEN,	/* goroutines they took */
	STEAL_CTR_NO_ENTRY,	/* a RET with no entry seen on its thread (attached mid-call) */
	STEAL_CTR_P_RANGE,	/* a P id unreadable or >= STEAL_MAX_PS: not in the matrices */
	STEAL_CTR_OVER_HALF,	/* a steal of more than STEAL_MAX_BATCH goroutines */
	STEAL_CTR_SAME_CPU,	/* steals whose thief ran on the CPU the victim's M was on */
	STEAL_CTR_CROSS_CPU,	/* ... on another CPU */
	STEAL_CTR_VICTIM_NO_M,	/* steals from a P that had no M (idle or being handed off) */
	STEAL_CTR_VICTIM_CPU_UNKNOWN,	/* the victim M's thread was not seen on a CPU yet */
	STEAL_CTR_SWITCH_INS,	/* sched_switch: target threads put on a CPU */
	STEAL_CTR_NR,
};

struct steal_config {
	__u32 tgid;		/* process traced (root PID namespace) */
	__u32 p_id;		/* runtime.p.id (int32) */
	__u32 p_runq;		/* runtime.p.runq: runqgrab's batch is &thief.runq */
	__u32 p_m;		/* runtime.p.m (muintptr) */
	__u32 m_procid;		/* runtime.m.procid: the M's thread id in the target's PID namespace */
	__u32 victim_cpus;	/* 1: p_m and m_procid are valid and sched_switch is attached */
	__u32 timeline;		/* 1: one steal_event per successful steal (--perfetto) */
	__u32 pad;
};

/* A runqgrab call in flight on one thread, from its entry to its RET. */
struct steal_inflight {
	__u64 victim_p;		/* the victim *p */
	__s32 thief;		/* P ids, -1 when unreadable */
	__s32 victim;
	__u64 entry_ns;		/* bpf_ktime_get_ns() at the call */
};

/*
 * The timeline ring (--perfetto): one record per steal that took goroutines. User space sets
 * the ring's size before load and drains it while the session runs; what finds it full is
 * counted in lost_timeline.
 */
#define STEAL_TIMELINE_RING_BYTES (1u << 20)	/* 26214 records */

struct steal_event {
	__u64 entry_ns;		/* runqgrab called: the thief starts taking from the victim */
	__u64 ktime_ns;		/* its result read: the goroutines are on the thief's queue */
	__s32 thief;		/* P ids, -1 when unreadable */
	__s32 victim;
	__u32 n;		/* goroutines taken */
	__u32 tid;		/* the thief's thread (root PID namespace) */
};

#endif /* GRI_BPF_STEAL_H */
