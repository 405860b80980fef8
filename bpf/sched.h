/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Scheduler experiment (EXP-01): data shared by bpf/sched.bpf.c and user/exp/sched.
 * Plain C only: fixed-width types, no pointers, explicit padding.
 */
#ifndef GRI_BPF_SCHED_H
#define GRI_BPF_SCHED_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#include "go_offsets.h"

/* User-stack frames kept per switch-out: the blocking Go function sits a few frames above
 * the futex or epoll_pwait call (runtime.futex <- futexsleep <- notesleep <- stopm <-
 * findRunnable <- schedule <- park_m ...). */
#define SCHED_STACK_FRAMES 32

/* Where a thread of the target is, from the kernel's view. */
enum sched_thread_state {
	SCHED_RUNNING = 1,	/* on a CPU since ts */
	SCHED_RUNNABLE = 2,	/* woken or preempted at ts, waiting for a CPU */
	SCHED_BLOCKED = 3,	/* switched out asleep at ts */
};

struct sched_thread {
	__u64 ts;		/* when it entered state */
	__u32 state;		/* enum sched_thread_state */
	__s32 stack_id;		/* user stack at the switch-out that blocked it (<0: none) */
	__u64 on_cpu_ns;
	__u64 runq_ns;		/* runnable, waiting for a CPU */
	__u64 off_cpu_ns;	/* blocked */
	__u64 switches;		/* switch-ins */
};

/* Blocked time per user stack at switch-out (key: stack id; -1 when the stack was lost). */
struct sched_blocked {
	__u64 ns;
	__u64 count;
};

/* Where findRunnable found the goroutine execute runs (--deep), as the last probe inside
 * the round saw it. */
enum sched_source {
	SCHED_SRC_LOCAL = 0,	/* nothing else seen: runnext or the local queue (runqget, inlined) */
	SCHED_SRC_GLOBAL,	/* globrunqget / globrunqgetbatch entered */
	SCHED_SRC_NETPOLL,	/* injectglist entered: netpoll returned goroutines */
	SCHED_SRC_STEAL,	/* runqsteal returned a goroutine */
	SCHED_SRC_NR,
};

/* Probe hits of the target (--deep), per program: a per-CPU array indexed by these. */
enum sched_hit {
	SCHED_HIT_FIND = 0,	/* runtime.findRunnable */
	SCHED_HIT_EXECUTE,	/* runtime.execute */
	SCHED_HIT_GLOBAL,	/* runtime.globrunqget / globrunqgetbatch */
	SCHED_HIT_NETPOLL,	/* runtime.injectglist */
	SCHED_HIT_STEAL,	/* runtime.runqsteal */
	SCHED_HIT_STOPM,	/* runtime.stopm */
	SCHED_HIT_NR,
};

/* Per P (--deep): key p.id. */
struct sched_p_rounds {
	__u64 rounds;		/* runtime.execute entries on this P */
	__u64 found_rounds;	/* ... that came through findRunnable on the same thread */
	__u64 find_ns;		/* findRunnable entry -> execute entry, summed */
	__u64 source[SCHED_SRC_NR];
};

/* A round in progress on one thread (--deep): key tid. */
struct sched_round {
	__u64 t0;		/* findRunnable entry */
	__u32 source;		/* enum sched_source */
	__u32 pad;
};

struct sched_config {
	__u32 tgid;
	__u32 deep;		/* 1: the --deep programs are attached and go offsets are valid */
	struct go_offsets go;
};

#endif /* GRI_BPF_SCHED_H */
