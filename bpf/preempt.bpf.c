// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Preemption experiment (EXP-02): the asynchronous preemption chain of one process,
 *
 *   sysmon: retake -> preemptone(pp)           uprobe: a request
 *           -> preemptM -> signalM -> tgkill   (preemptM is always inlined: no symbol)
 *   kernel: signal_generate(SIGURG, thread)    tp_btf: the signal, timed per thread
 *   thread: sighandler -> doSigPreempt -> pushCall(asyncPreempt)
 *           asyncPreempt -> asyncPreempt2      uprobe: the preemption taken
 *
 * (src/runtime/proc.go retake/preemptone, preempt.go, signal_unix.go, Go 1.19-1.27).
 * Every probed function runs only when a goroutine has run 10 ms without yielding
 * (forcePreemptNS), at a stop-the-world, or for a GC stack scan: rare by design.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "go.bpf.h"
#include "events.bpf.h"
#include "preempt.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile struct preempt_config cfg = {};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PREEMPT_CTR_NR);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PREEMPT_HIST_NR * PREEMPT_HIST_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} hists SEC(".maps");

/* A thread's latest SIGURG: bpf_ktime_get_ns() when it was queued, and delivered (0: not yet). */
struct sig_times {
	__u64 queued_ns;
	__u64 delivered_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct sig_times);
} signal_time SEC(".maps");

/* The latest async preemption on a P (keyed by the P's address). */
struct p_last {
	__u64 ktime_ns;
	__u32 schedtick;	/* p.schedtick of the slice it cut */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct p_last);
} p_state SEC(".maps");

/* P address -> p.schedtick of the slice sysmon asked to cut (preemptone from retake). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u32);
} sysmon_asked SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, PREEMPT_TIMELINE_RING_BYTES);	/* set again by user space */
} timeline SEC(".maps");

__u64 lost_timeline = 0;	/* timeline records that found the ring full */

static __always_inline void timeline_event(__u32 kind, __u32 tid, __u32 peer, __s32 p, __u64 now)
{
	struct preempt_event e = {
		.ktime_ns = now, .kind = kind, .tid = tid, .peer = peer, .p = p,
	};

	if (cfg.timeline)
		events_output(&timeline, &e, sizeof(e), &lost_timeline);
}

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	if (v)
		(*v)++;
}

static __always_inline void hist_add(__u32 hist, __u64 us)
{
	__u32 key = hist * PREEMPT_HIST_SLOTS + preempt_hist_slot(us);
	__u64 *v = bpf_map_lookup_elem(&hists, &key);

	if (v)
		(*v)++;
}

/*
 * runtime.preemptone(pp *p) bool: asks the goroutine running on pp to stop (gp.preempt,
 * stackguard0 = stackPreempt) and, unless GODEBUG=asyncpreemptoff=1, signals its M
 * (preemptM). Callers: retake, from sysmon, which runs on an M without a P (sysmon is started
 * by newm(sysmon, nil), src/runtime/proc.go main), and preemptall, called by a thread that
 * holds a P to stop the world or run GC work (Go 1.19-1.27).
 */
SEC("uprobe")
int preempt_request(struct pt_regs *ctx)
{
	if (!is_target_tgid(cfg.tgid) || go_entry_repeats(ctx))
		return 0;
	if (!cfg.go_ok) {
		count(PREEMPT_CTR_REQ_UNKNOWN);
		return 0;
	}
	if (go_p(go_g(ctx), &cfg.off.go)) {
		count(PREEMPT_CTR_REQ_OTHER);
		return 0;
	}
	count(PREEMPT_CTR_REQ_SYSMON);
	/* Which slice sysmon asked to cut: asyncPreempt2 times only those (GC and stop-the-world
	 * preemptions cut slices of any length). */
	if (cfg.slices) {
		__u64 pp = go_arg(ctx, 0);
		__u32 tick = read_u32(pp + cfg.off.p_schedtick);

		if (pp)
			bpf_map_update_elem(&sysmon_asked, &pp, &tick, BPF_ANY);
	}
	return 0;
}

/*
 * SIGURG queued for a thread of the target. The sender is the target itself (sysmon's
 * thread, tgkill in signalM), so the filter is on the receiving task (events.bpf.h). The time
 * is kept per receiving thread: its async preemption, if the signal lands at an async safe
 * point, runs on that same thread. A SIGURG already pending is merged by the kernel: the
 * earlier time stays.
 */
SEC("tp_btf/signal_generate")
int BPF_PROG(preempt_signal, int sig, struct kernel_siginfo *info, struct task_struct *task,
	     int group, int result)
{
	struct sig_times t = {};
	__u32 tid;

	if (sig != PREEMPT_SIGURG || !task_in_target(task, cfg.tgid))
		return 0;
	count(PREEMPT_CTR_SIGURG);
	if (result == PREEMPT_SIGNAL_ALREADY_PENDING) {
		count(PREEMPT_CTR_SIGURG_PENDING);
		return 0;
	}
	if (result != PREEMPT_SIGNAL_DELIVERED)
		return 0;
	tid = BPF_CORE_READ(task, pid);
	t.queued_ns = bpf_ktime_get_ns();
	bpf_map_update_elem(&signal_time, &tid, &t, BPF_ANY);
	timeline_event(PREEMPT_EV_SIGURG, tid, (__u32)bpf_get_current_pid_tgid(), -1, t.queued_ns);
	return 0;
}

/*
 * The kernel sets up the handler of a SIGURG in the receiving thread (the current task): the
 * wait before it is the thread's wait for a CPU (or for the kernel to leave a system call),
 * the time after it is the runtime's own (sighandler -> doSigPreempt -> asyncPreempt).
 */
SEC("tp_btf/signal_deliver")
int BPF_PROG(preempt_deliver, int sig, struct kernel_siginfo *info, struct k_sigaction *ka)
{
	struct sig_times *t;
	__u64 now;
	__u32 tid;

	if (sig != PREEMPT_SIGURG || !current_in_target(cfg.tgid))
		return 0;
	tid = (__u32)bpf_get_current_pid_tgid();
	t = bpf_map_lookup_elem(&signal_time, &tid);
	if (!t || t->delivered_ns)
		return 0;
	now = bpf_ktime_get_ns();
	t->delivered_ns = now;
	if (now >= t->queued_ns)
		hist_add(PREEMPT_HIST_DELIVERY, (now - t->queued_ns) / 1000);
	return 0;
}

/*
 * runtime.asyncPreempt2: the signal handler found the goroutine at an async safe point and
 * injected a call to asyncPreempt, which saved every register and called this on the
 * preempted goroutine's stack (R14 = that g; src/runtime/preempt.go, preempt_amd64.s).
 *
 * Latency: from the SIGURG queued for this thread to here, and from its delivery to here.
 *
 * Slice (only of a slice sysmon asked to cut): how long the P's current slice (p.schedtick; a goroutine started from runnext
 * inherits its predecessor's slice, execute in src/runtime/proc.go) had run. When the P's
 * previous async preemption cut slice schedtick-1, this slice began right after it, in the
 * schedule that followed: the length is exact to the microseconds that switch took.
 * Otherwise sysmon's own record: retake set sysmontick.schedwhen = now when it first saw this
 * schedtick, so now - schedwhen is a lower bound, short by up to one sysmon period (<= 10 ms).
 * schedwhen is nanotime(), CLOCK_MONOTONIC through the vDSO (nanotime1 in
 * src/runtime/sys_linux_amd64.s, Go 1.19-1.27); bpf_ktime_get_ns is CLOCK_MONOTONIC too
 * (ktime_get_mono_fast_ns), so they compare, except in a time namespace with a monotonic
 * offset: a difference that is negative or over an hour is dropped as unknown.
 */
SEC("uprobe")
int preempt_async(struct pt_regs *ctx)
{
	__u64 now = bpf_ktime_get_ns(), p, slice_ns = 0;
	struct sig_times *sent;
	__u32 tid = (__u32)bpf_get_current_pid_tgid(), schedtick, sysmon_tick, *asked;
	bool by_sysmon;
	__s64 schedwhen;
	struct p_last *prev, cur = {};

	if (!is_target_tgid(cfg.tgid) || go_entry_repeats(ctx))
		return 0;
	count(PREEMPT_CTR_ASYNC);
	sent = bpf_map_lookup_elem(&signal_time, &tid);
	if (sent) {
		if (now >= sent->queued_ns) {
			hist_add(PREEMPT_HIST_LATENCY, (now - sent->queued_ns) / 1000);
			count(PREEMPT_CTR_LATENCY);
		}
		if (sent->delivered_ns && now >= sent->delivered_ns)
			hist_add(PREEMPT_HIST_HANDLER, (now - sent->delivered_ns) / 1000);
		bpf_map_delete_elem(&signal_time, &tid);
	}

	if (cfg.timeline)
		timeline_event(PREEMPT_EV_ASYNC, tid, 0,
			       cfg.go_ok ? go_p_id(go_g(ctx), &cfg.off.go) : -1, now);
	if (!cfg.slices)
		return 0;
	p = go_p(go_g(ctx), &cfg.off.go);
	if (!p) {
		count(PREEMPT_CTR_SLICE_UNKNOWN);
		return 0;
	}
	schedtick = read_u32(p + cfg.off.p_schedtick);
	sysmon_tick = read_u32(p + cfg.off.p_sysmon_schedtick);
	schedwhen = (__s64)read_u64(p + cfg.off.p_sysmon_schedwhen);
	asked = bpf_map_lookup_elem(&sysmon_asked, &p);
	by_sysmon = asked && *asked == schedtick;
	if (asked)
		bpf_map_delete_elem(&sysmon_asked, &p);
	prev = bpf_map_lookup_elem(&p_state, &p);
	if (!by_sysmon) {
		/* Not sysmon's: its slice is not timed, but the next slice starts after it. */
		cur.ktime_ns = now;
		cur.schedtick = schedtick;
		bpf_map_update_elem(&p_state, &p, &cur, BPF_ANY);
		return 0;
	}
	count(PREEMPT_CTR_ASYNC_SYSMON);
	if (prev && prev->schedtick + 1 == schedtick && now > prev->ktime_ns) {
		slice_ns = now - prev->ktime_ns;
		count(PREEMPT_CTR_SLICE_PREV);
	} else if (sysmon_tick == schedtick && schedwhen > 0 && (__u64)schedwhen < now &&
		   now - (__u64)schedwhen < 3600ULL * 1000000000ULL) {
		slice_ns = now - (__u64)schedwhen;
		count(PREEMPT_CTR_SLICE_SYSMON);
	} else {
		count(PREEMPT_CTR_SLICE_UNKNOWN);
	}
	if (slice_ns)
		hist_add(PREEMPT_HIST_SLICE, slice_ns / 1000);
	cur.ktime_ns = now;
	cur.schedtick = schedtick;
	bpf_map_update_elem(&p_state, &p, &cur, BPF_ANY);
	return 0;
}
