/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Timer experiment (EXP-08): data shared by bpf/timers.bpf.c and user/exp/timers.
 * Plain C only: fixed-width types, no pointers, explicit padding.
 */
#ifndef GRI_BPF_TIMERS_H
#define GRI_BPF_TIMERS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#include "go_offsets.h"

/* What a probed timer function does to a timer (the low byte of the probe's cookie). */
enum timers_op {
	TIMERS_ADD = 0,		/* addtimer (<= 1.22), (*timer).maybeAdd (1.23+) */
	TIMERS_MODIFY,		/* modtimer (<= 1.22), (*timer).modify (1.23+) */
	TIMERS_DELETE,		/* deltimer (<= 1.22), (*timer).stop (1.23+) */
	TIMERS_OPS,
};

/* Cookie bit 8: the function's f argument (modify) names the timer's function, when set. */
#define TIMERS_F_ARG 0x100

/* How the run probe finds its timer and the P whose heap held it (the cookie). */
enum timers_run_layout {
	TIMERS_RUN_PP = 0,	/* runOneTimer(pp *p, t *timer, now int64): <= 1.22 */
	TIMERS_RUN_TS = 1,	/* (*timer).unlockAndRun(t, now[, bubble]): t.ts is &P.timers, 1.23+ */
};

struct timers_config {
	__u32 tgid;
	__u32 timer_when;	/* runtime.timer.when */
	__u32 timer_f;		/* runtime.timer.f: a *funcval, whose first word is the pc */
	__u32 timer_ts;		/* runtime.timer.ts (1.23+) */
	__u32 p_timers;		/* runtime.p.timers (1.23+): P = ts - p_timers */
	__u32 p_timers_lock;	/* runtime.p.timersLock / p.timers.mu */
	__u64 allp;		/* runtime.allp, link-time (timers_lock adds the PIE bias) */
	__u32 locks;		/* 1: --locks (timers_lock attached, futex waits timed) */
	__u32 pad;
	struct go_offsets go;
};

/* --locks: per P (the P whose timers lock it is), at most this many Ps. */
#define TIMERS_MAX_P 1024
struct timers_lock_counts {
	__u64 acquisitions;	/* runtime.lock2 calls on it */
	__u64 waits;		/* ... that found it held */
	__u64 sleeps;		/* futex waits of a thread waiting for it */
	__u64 sleep_ns;		/* ... their time */
};

/* Operations by kind, P the calling goroutine ran on (-1: none) and timer function. */
struct timers_op_key {
	__u32 op;
	__s32 p;
	__u64 fpc;		/* the timer's function (run-time pc; 0: unreadable) */
};

/* Timers run, by the P that ran them, the P whose heap held them and their function. */
struct timers_run_key {
	__s32 runner;		/* -1: no P (cannot happen in the runtime, kept honest) */
	__s32 owner;		/* -1: in no heap (1.23+ channel timer run by maybeRunChan) */
	__u64 fpc;
};

/*
 * Lateness (now - t.when at the run probe), in buckets: 0-7 ns one bucket each, then 8 per
 * power of two, bucket = 8 * (floor(log2(ns)) - 2) + the 3 bits after the leading one (8 ns:
 * bucket 8). A bucket is at most 1/8 of its lower bound wide.
 */
#define TIMERS_LATE_BUCKETS 512
struct timers_late_key {
	__u64 fpc;
	__u32 bucket;
	__u32 pad;
};

/* Netpoll (epoll_pwait / epoll_wait of the target) and netpollBreak. */
enum timers_counter {
	TIMERS_CTR_POLLS = 0,		/* epoll waits with a timeout other than 0 */
	TIMERS_CTR_POLL_NS,		/* ... time spent in them */
	TIMERS_CTR_POLL_TIMED_OUT,	/* ... that returned 0 events: the timeout (next timer) */
	TIMERS_CTR_POLL_FOREVER,	/* ... with timeout -1: no timer to wait for */
	TIMERS_CTR_NOP,			/* probe hits with no P or unreadable timer */
	TIMERS_CTR_LOCK_HITS,		/* --locks: runtime.lock2 calls of the target, any lock */
	TIMERS_CTR_NR,
};

#endif /* GRI_BPF_TIMERS_H */
