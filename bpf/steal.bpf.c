// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Work-stealing experiment (EXP-03): who steals goroutines from whom.
 *
 * runtime.runqgrab(pp *p, batch *[256]guintptr, batchHead uint32, stealRunNextG bool) uint32
 * is the one place a P takes goroutines from another P's local run queue: its only caller
 * is runqsteal(pp, p2 *p, ...), called by stealWork for each victim it tries (Go 1.19-1.27
 * src/runtime/proc.go). Its arguments: pp (RAX) is the victim, batch (RBX) is &thief.runq;
 * its result (RAX at every RET) is the number of goroutines it took.
 *
 * steal_grab_entry runs where the call's arguments are in their registers: at runqsteal's
 * CALL of runqgrab (an emulated uprobe), or at runqgrab's entry after the stack check. It
 * counts an attempt and remembers thief and victim for the thread. steal_grab_return reads
 * the result in RAX: at the conditional jump with which runqsteal tests it (emulated), or at
 * runqgrab's RETs (never a uretprobe). The call runs on the M's g0 stack from start to end
 * and nothing in it switches threads, so the thread id pairs the two as well as g would
 * (bpf/trace.bpf.c keys by g because user goroutines move between threads).
 *
 * The victim's CPU: the CPU its M's thread is on, or last ran on, by sched_switch of the
 * target's threads (a BPF_PROG_TYPE_KPROBE program may not call bpf_task_from_vpid, which
 * would read it from the task; measured, Linux 6.18: "calling kernel function
 * bpf_task_from_vpid is not allowed").
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "go.bpf.h"
#include "events.bpf.h"
#include "steal.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile struct steal_config cfg = {};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, STEAL_CTR_NR);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* P x P matrices, key thief * STEAL_MAX_PS + victim. */
#define STEAL_MATRIX(name)						\
	struct {							\
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);		\
		__uint(max_entries, STEAL_MAX_PS * STEAL_MAX_PS);	\
		__type(key, __u32);					\
		__type(value, __u64);					\
	} name SEC(".maps")

STEAL_MATRIX(attempts);		/* runqgrab calls */
STEAL_MATRIX(steals);		/* ... that took goroutines */
STEAL_MATRIX(stolen);		/* goroutines taken */
STEAL_MATRIX(cross_cpu);	/* steals whose thief and victim M were on different CPUs */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, STEAL_BATCH_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} batch_sizes SEC(".maps");

/* max_entries of these two are set by user space before load. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, __u32);	/* thread id */
	__type(value, struct steal_inflight);
} inflight SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1);
	__type(key, __u32);	/* thread id in the target's PID namespace (m.procid) */
	__type(value, __u32);	/* the CPU it was last put on */
} thread_cpu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, STEAL_TIMELINE_RING_BYTES);	/* set again by user space */
} timeline SEC(".maps");

__u64 lost_timeline = 0;	/* steal records that found the ring full */

static __always_inline void add(void *map, __u32 idx, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(map, &idx);

	if (v)
		*v += n;
}

static __always_inline __s32 p_id(__u64 p)
{
	__s32 id = -1;

	if (!p || bpf_probe_read_user(&id, sizeof(id), (void *)(p + cfg.p_id)))
		return -1;
	return id;
}

static __always_inline bool in_matrix(__s32 thief, __s32 victim)
{
	return thief >= 0 && thief < STEAL_MAX_PS && victim >= 0 && victim < STEAL_MAX_PS;
}

SEC("uprobe")
int steal_grab_entry(struct pt_regs *ctx)
{
	struct steal_inflight f = {};
	__u64 batch = go_arg(ctx, 1);
	__u32 tid;

	if (!is_target_tgid(cfg.tgid) || go_entry_repeats(ctx))
		return 0;
	add(&counters, STEAL_CTR_ATTEMPTS, 1);
	f.entry_ns = bpf_ktime_get_ns();
	f.victim_p = go_arg(ctx, 0);
	f.victim = p_id(f.victim_p);
	f.thief = batch > cfg.p_runq ? p_id(batch - cfg.p_runq) : -1;
	if (in_matrix(f.thief, f.victim))
		add(&attempts, (__u32)f.thief * STEAL_MAX_PS + (__u32)f.victim, 1);
	else
		add(&counters, STEAL_CTR_P_RANGE, 1);
	tid = (__u32)bpf_get_current_pid_tgid();
	bpf_map_update_elem(&inflight, &tid, &f, BPF_ANY);
	return 0;
}

/* The CPU the victim P's M is on or last ran on; -1 with the reason counted. */
static __always_inline __s64 victim_cpu(__u64 victim_p)
{
	__u64 m = 0, procid = 0;
	__u32 tid, *cpu;

	if (bpf_probe_read_user(&m, sizeof(m), (void *)(victim_p + cfg.p_m)) || !m) {
		add(&counters, STEAL_CTR_VICTIM_NO_M, 1);
		return -1;
	}
	bpf_probe_read_user(&procid, sizeof(procid), (void *)(m + cfg.m_procid));
	tid = (__u32)procid;
	cpu = bpf_map_lookup_elem(&thread_cpu, &tid);
	if (!cpu) {
		add(&counters, STEAL_CTR_VICTIM_CPU_UNKNOWN, 1);
		return -1;
	}
	return *cpu;
}

SEC("uprobe")
int steal_grab_return(struct pt_regs *ctx)
{
	struct steal_inflight *f;
	__u32 tid, n, cell;
	__s64 vcpu;
	bool cross;

	if (!is_target_tgid(cfg.tgid))
		return 0;
	add(&counters, STEAL_CTR_RETURNS, 1);
	tid = (__u32)bpf_get_current_pid_tgid();
	f = bpf_map_lookup_elem(&inflight, &tid);
	if (!f) {
		add(&counters, STEAL_CTR_NO_ENTRY, 1);
		return 0;
	}
	n = (__u32)go_arg(ctx, 0);
	if (n == 0) {
		add(&counters, STEAL_CTR_ZERO_RETURNS, 1);
		goto out;
	}
	add(&counters, STEAL_CTR_STEALS, 1);
	add(&counters, STEAL_CTR_STOLEN, n);
	if (n <= STEAL_MAX_BATCH)
		add(&batch_sizes, n, 1);
	else
		add(&counters, STEAL_CTR_OVER_HALF, 1);
	cross = false;
	if (cfg.victim_cpus && (vcpu = victim_cpu(f->victim_p)) >= 0) {
		cross = vcpu != bpf_get_smp_processor_id();
		add(&counters, cross ? STEAL_CTR_CROSS_CPU : STEAL_CTR_SAME_CPU, 1);
	}
	if (cfg.timeline) {
		struct steal_event e = {
			.entry_ns = f->entry_ns, .ktime_ns = bpf_ktime_get_ns(),
			.thief = f->thief, .victim = f->victim, .n = n, .tid = tid,
		};

		events_output(&timeline, &e, sizeof(e), &lost_timeline);
	}
	if (in_matrix(f->thief, f->victim)) {
		cell = (__u32)f->thief * STEAL_MAX_PS + (__u32)f->victim;
		add(&steals, cell, 1);
		add(&stolen, cell, n);
		if (cross)
			add(&cross_cpu, cell, 1);
	}
out:
	bpf_map_delete_elem(&inflight, &tid);
	return 0;
}

/* The thread id as the target's own PID namespace numbers it (what gettid returned to the
 * runtime's minit and it stored in m.procid): the innermost level of the task's struct pid. */
static __always_inline __u32 task_ns_tid(const struct task_struct *task)
{
	struct pid *pid = BPF_CORE_READ(task, thread_pid);
	unsigned int level = BPF_CORE_READ(pid, level);
	int nr = 0;

	bpf_core_read(&nr, sizeof(nr), &pid->numbers[level & 31].nr);
	return (__u32)nr;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(steal_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u32 tid, cpu;

	if (!(switch_target_sides(prev, next, cfg.tgid) & SWITCH_IN))
		return 0;
	add(&counters, STEAL_CTR_SWITCH_INS, 1);
	tid = task_ns_tid(next);
	cpu = bpf_get_smp_processor_id();
	bpf_map_update_elem(&thread_cpu, &tid, &cpu, BPF_ANY);
	return 0;
}
