// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Scheduler experiment (EXP-01).
 *
 * Default: the kernel's view of every thread of the target, from sched_switch, sched_wakeup
 * and sched_wakeup_new (tp_btf, filtered by task->tgid: bpf/events.bpf.h says why): time on
 * a CPU, time runnable but waiting for one (woken or preempted until switched in), and time
 * blocked, the last split by the user stack at the switch-out that blocked the thread.
 * sched_switch runs in prev's context (__schedule calls the tracepoint before
 * context_switch), so bpf_get_stackid(BPF_F_USER_STACK) there is prev's stack; Go keeps
 * frame pointers, which is what the kernel's user unwinder follows.
 *
 * --deep: entry uprobes on runtime.findRunnable and runtime.execute (every schedule round),
 * plus markers on the functions findRunnable takes work from.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "go.bpf.h"
#include "events.bpf.h"
#include "sched.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile struct sched_config cfg = {};

/* TASK_RUNNING and TASK_DEAD, include/linux/sched.h (Linux 5.x-6.18). */
#define KERNEL_TASK_RUNNING 0
#define KERNEL_TASK_DEAD 0x80

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);	/* set by user space */
	__type(key, __u32);		/* tid */
	__type(value, struct sched_thread);
} threads SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 4096);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, SCHED_STACK_FRAMES * sizeof(__u64));
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __s32);		/* stack id */
	__type(value, struct sched_blocked);
} blocked SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __s32);		/* p.id */
	__type(value, struct sched_p_rounds);
} p_rounds SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);		/* tid */
	__type(value, struct sched_round);
} rounds SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SCHED_HIT_NR);
	__type(key, __u32);
	__type(value, __u64);
} hits SEC(".maps");

__u64 lost_threads = 0;	/* threads that found the threads map full */
__u64 lost_stacks = 0;	/* switch-outs whose stack could not be stored */

static __always_inline void add_blocked(__s32 stack_id, __u64 ns)
{
	struct sched_blocked *b = bpf_map_lookup_elem(&blocked, &stack_id), zero = {};

	if (!b) {
		bpf_map_update_elem(&blocked, &stack_id, &zero, BPF_NOEXIST);
		b = bpf_map_lookup_elem(&blocked, &stack_id);
		if (!b)
			return;
	}
	__sync_fetch_and_add(&b->ns, ns);
	__sync_fetch_and_add(&b->count, 1);
}

static __always_inline struct sched_thread *thread_of(__u32 tid)
{
	struct sched_thread *t = bpf_map_lookup_elem(&threads, &tid), zero = {};

	if (t)
		return t;
	bpf_map_update_elem(&threads, &tid, &zero, BPF_NOEXIST);
	t = bpf_map_lookup_elem(&threads, &tid);
	if (!t)
		__sync_fetch_and_add(&lost_threads, 1);
	return t;
}

/* Ends the thread's current state at now, adding its time to the right total. */
static __always_inline void close_state(struct sched_thread *t, __u64 now)
{
	__u64 d;

	if (!t->state || now < t->ts)
		return;
	d = now - t->ts;
	if (t->state == SCHED_RUNNING) {
		t->on_cpu_ns += d;
	} else if (t->state == SCHED_RUNNABLE) {
		t->runq_ns += d;
	} else if (t->state == SCHED_BLOCKED) {
		t->off_cpu_ns += d;
		add_blocked(t->stack_id, d);
	}
}

SEC("tp_btf/sched_switch")
int BPF_PROG(sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	int sides = switch_target_sides(prev, next, cfg.tgid);
	__u64 now;

	if (!sides)
		return 0;
	now = bpf_ktime_get_ns();
	if (sides & SWITCH_OUT) {
		__u32 tid = BPF_CORE_READ(prev, pid);
		struct sched_thread *t;

		if (prev_state & KERNEL_TASK_DEAD) {
			/* An exiting thread: its time ends here, it is not blocked. */
			t = bpf_map_lookup_elem(&threads, &tid);
			if (t) {
				close_state(t, now);
				t->state = 0;
			}
		} else if ((t = thread_of(tid))) {
			close_state(t, now);
			t->ts = now;
			if (preempt || prev_state == KERNEL_TASK_RUNNING) {
				t->state = SCHED_RUNNABLE;
			} else {
				t->state = SCHED_BLOCKED;
				t->stack_id = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
				if (t->stack_id < 0) {
					t->stack_id = -1;
					__sync_fetch_and_add(&lost_stacks, 1);
				}
			}
		}
	}
	if (sides & SWITCH_IN) {
		struct sched_thread *t = thread_of(BPF_CORE_READ(next, pid));

		if (t) {
			close_state(t, now);
			t->state = SCHED_RUNNING;
			t->ts = now;
			t->switches++;
		}
	}
	return 0;
}

static __always_inline void woken(struct task_struct *p)
{
	struct sched_thread *t;
	__u64 now;

	if (!task_in_target(p, cfg.tgid))
		return;
	t = thread_of(BPF_CORE_READ(p, pid));
	if (!t || t->state == SCHED_RUNNING || t->state == SCHED_RUNNABLE)
		return;
	now = bpf_ktime_get_ns();
	close_state(t, now);
	t->state = SCHED_RUNNABLE;
	t->ts = now;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(sched_wakeup, struct task_struct *p)
{
	woken(p);
	return 0;
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(sched_wakeup_new, struct task_struct *p)
{
	woken(p);
	return 0;
}

/* --- --deep: schedule rounds ----------------------------------------------------- */

static __always_inline __u32 current_tid(void)
{
	return (__u32)bpf_get_current_pid_tgid();
}

static __always_inline void count_hit(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&hits, &idx);

	if (v)
		(*v)++;
}

/* runtime.findRunnable(): a round starts looking for work (Go 1.19-1.27 src/runtime/proc.go,
 * called by schedule on g0). */
SEC("uprobe")
int sched_find_runnable(struct pt_regs *ctx)
{
	struct sched_round r = {};
	__u32 tid;

	if (!is_target_tgid(cfg.tgid) || go_entry_repeats(ctx))
		return 0;
	count_hit(SCHED_HIT_FIND);
	tid = current_tid();
	r.t0 = bpf_ktime_get_ns();
	r.source = SCHED_SRC_LOCAL;
	bpf_map_update_elem(&rounds, &tid, &r, BPF_ANY);
	return 0;
}

static __always_inline void mark_source(__u32 source, __u32 hit)
{
	__u32 tid = current_tid();
	struct sched_round *r;

	if (!is_target_tgid(cfg.tgid))
		return;
	count_hit(hit);
	r = bpf_map_lookup_elem(&rounds, &tid);
	if (r)
		r->source = source;
}

/* runtime.globrunqget (Go <= 1.24) and runtime.globrunqgetbatch (1.25+): called only when the
 * global queue was seen non-empty. */
SEC("uprobe")
int sched_global(struct pt_regs *ctx)
{
	if (!go_entry_repeats(ctx))
		mark_source(SCHED_SRC_GLOBAL, SCHED_HIT_GLOBAL);
	return 0;
}

/* runtime.injectglist: findRunnable hands the rest of what netpoll returned to the queues
 * and runs the first goroutine itself (proc.go, Go 1.19-1.27). */
SEC("uprobe")
int sched_netpoll(struct pt_regs *ctx)
{
	if (!go_entry_repeats(ctx))
		mark_source(SCHED_SRC_NETPOLL, SCHED_HIT_NETPOLL);
	return 0;
}

/* runtime.runqsteal: stealWork tries another P's queue. */
SEC("uprobe")
int sched_steal(struct pt_regs *ctx)
{
	if (!go_entry_repeats(ctx))
		mark_source(SCHED_SRC_STEAL, SCHED_HIT_STEAL);
	return 0;
}

/* runtime.stopm: the round found nothing and the M sleeps; findRunnable starts over at its
 * top when it wakes, so what it tried before says nothing about what it finds after. */
SEC("uprobe")
int sched_stopm(struct pt_regs *ctx)
{
	if (!go_entry_repeats(ctx))
		mark_source(SCHED_SRC_LOCAL, SCHED_HIT_STOPM);
	return 0;
}

/* runtime.execute(gp, inheritTime): the round ends; the P is g0.m.p (R14 is g0 here). */
SEC("uprobe")
int sched_execute(struct pt_regs *ctx)
{
	struct sched_p_rounds *pr, zero = {};
	struct sched_round *r;
	__u32 tid, src;
	__s32 pid;

	if (!is_target_tgid(cfg.tgid) || !cfg.deep || go_entry_repeats(ctx))
		return 0;
	count_hit(SCHED_HIT_EXECUTE);
	pid = go_p_id(go_g(ctx), &cfg.go);
	pr = bpf_map_lookup_elem(&p_rounds, &pid);
	if (!pr) {
		bpf_map_update_elem(&p_rounds, &pid, &zero, BPF_NOEXIST);
		pr = bpf_map_lookup_elem(&p_rounds, &pid);
		if (!pr)
			return 0;
	}
	__sync_fetch_and_add(&pr->rounds, 1);
	tid = current_tid();
	r = bpf_map_lookup_elem(&rounds, &tid);
	if (!r || !r->t0)
		return 0;
	__sync_fetch_and_add(&pr->found_rounds, 1);
	__sync_fetch_and_add(&pr->find_ns, bpf_ktime_get_ns() - r->t0);
	src = r->source;
	if (src < SCHED_SRC_NR)
		__sync_fetch_and_add(&pr->source[src], 1);
	r->t0 = 0;
	return 0;
}
