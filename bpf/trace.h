/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * gri trace: calls and entry-to-return latency of chosen Go functions, per goroutine.
 * Shared by bpf/trace.bpf.c and user/trace. Plain C only.
 */
#ifndef GRI_BPF_TRACE_H
#define GRI_BPF_TRACE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif
#include "go_offsets.h"

#define TRACE_MAX_FUNCS 64	/* functions per session: sizes the arrays below */
#define TRACE_HIST_SLOTS 64	/* log2 buckets: slot s counts latencies in [2^s, 2^(s+1)) ns */
#define TRACE_MAX_DEPTH 8	/* nested calls of one function on one goroutine that are timed */
#define TRACE_MAX_PS 64		/* calls per P are counted for P ids below this */

enum trace_counter {
	TRACE_CTR_UNMATCHED_RETURN = 0,	/* a RET with no entry seen (attached mid-call) */
	TRACE_CTR_DEPTH_OVERFLOW,	/* entries deeper than TRACE_MAX_DEPTH: counted, not timed */
	TRACE_CTR_INFLIGHT_FULL,	/* no room to remember an entry: counted, not timed */
	TRACE_CTR_RETURNS,		/* every return probe hit */
	TRACE_CTR_NO_P,			/* entries whose M held no P (or P id >= TRACE_MAX_PS) */
	TRACE_CTR_NR,
};

struct trace_config {
	__u32 tgid;	/* process traced (root PID namespace) */
	__u32 nfuncs;
	__u32 count_ps;	/* 1 when offsets below are valid: count calls per P */
	__u32 pad;
	struct go_offsets go;
};

/* In-flight calls, by goroutine: g's address (R14) does not change when the goroutine moves
 * to another thread or its stack is copied, unlike the thread or the stack pointer. */
struct trace_key {
	__u64 g;
	__u32 func;
	__u32 pad;
};

struct trace_frames {
	__u32 depth;
	__u32 pad;
	__u64 start_ns[TRACE_MAX_DEPTH];
};

#endif /* GRI_BPF_TRACE_H */
