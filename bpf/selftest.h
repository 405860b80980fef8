/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Self-tests of the probe machinery on gri itself (gri doctor, tests/runtime):
 *  - uprobe: a uprobe on a function of gri, to prove that this machine loads BPF
 *    programs and fires uprobes, and to time one uprobe hit;
 *  - tracepoints: sched_switch, sched_wakeup and signal_generate filtered to gri's
 *    process, with a bystander process whose events the filter must drop;
 *  - sampling: cpu-clock perf sampling filtered to gri's process, with user stacks;
 *  - ringbuf: a burst into a tiny ring buffer, counting every failed reserve;
 *  - hw: hardware counters read from BPF with bpf_perf_event_read_value.
 * Each self-test loads only its own programs (bpf_program__set_autoload).
 */
#ifndef GRI_BPF_SELFTEST_H
#define GRI_BPF_SELFTEST_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

struct selftest_config {
	__u32 tgid;		/* only events of this process count */
	__u32 other_tgid;	/* tracepoints: the bystander process, counted apart */
	__u32 signal;		/* tracepoints: the signal number to count */
	__u32 ringbuf_events;	/* ringbuf: records output per hit, at most SELFTEST_RINGBUF_MAX */
};

#define SELFTEST_RINGBUF_MAX 512	/* 2x what fits in a 64 KiB page */
#define SELFTEST_RECORD_SIZE 256
#define SELFTEST_STACK_FRAMES 127	/* PERF_MAX_STACK_DEPTH */

/* One ring-buffer record of the ringbuf self-test. */
struct selftest_record {
	__u64 seq;		/* 0, 1, ... in output order */
	__u8 fill[SELFTEST_RECORD_SIZE - 8];
};

enum selftest_hw {
	SELFTEST_HW_CYCLES,
	SELFTEST_HW_INSTRUCTIONS,
	SELFTEST_HW_CACHE_MISSES,
	SELFTEST_HW_NR,
};

/* The last bpf_perf_event_read_value of one counter on the CPU the probe hit. */
struct selftest_hw_reading {
	__s64 err;		/* 0, or the helper's negative errno */
	__u64 counter;
	__u64 enabled;		/* ns the event was enabled */
	__u64 running;		/* ns it was counting (< enabled: multiplexed) */
};

/* Counters, in .bss; every field is only ever incremented or overwritten by BPF. */
struct selftest_counts {
	__u64 uprobe_hits;

	/* tracepoints, tp_btf handlers filtered by task->tgid */
	__u64 switch_out;		/* sched_switch, prev is ours */
	__u64 switch_in;		/* sched_switch, next is ours */
	__u64 switch_other;		/* prev or next is the bystander's */
	__u64 switch_prev_not_current;	/* prev != current: must stay 0 */
	__u64 wakeup;			/* sched_wakeup of our threads */
	__u64 wakeup_other;		/* of the bystander's */
	__u64 signal;			/* signal_generate of cfg.signal, received by us */
	__u64 signal_other;		/* received by the bystander */
	__u64 signal_sent;		/* sent by us (current), to anyone */
	/* the classic tracepoint, filtered by current for prev */
	__u64 classic_switch_out;	/* prev (== current) is ours */
	__u64 classic_prev_not_current;	/* prev_pid != current's pid: must stay 0 */

	/* perf sampling */
	__u64 samples;			/* samples of our process */
	__u64 samples_other;		/* samples the filter dropped */
	__u64 samples_user_stack;	/* of ours, with >= 1 user frame */
	__u64 user_frames;		/* sum of user frames over our samples */

	/* ringbuf */
	__u64 ringbuf_reserved;
	__u64 ringbuf_lost;

	/* hw */
	__u64 hw_reads;
	struct selftest_hw_reading hw[SELFTEST_HW_NR];
};

#endif /* GRI_BPF_SELFTEST_H */
