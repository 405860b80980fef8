// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Timer experiment (EXP-08): entry probes on the runtime's timer functions, counted in maps
 * that user space reads at the end (no event stream):
 *  - timers_op: add, modify, delete, by the P the caller runs on and the timer's function;
 *  - timers_run: a timer about to run its function, by runner P, owner P (the heap it was
 *    in) and function, with its lateness (now - when) in a histogram;
 *  - timers_break: runtime.netpollBreak, by the pc it returns to (user space names the
 *    caller: wakeNetPoller, inlined or not, is a timer that became due earlier);
 *  - timers_sys_enter/exit: the target's epoll waits (netpoll), how long each blocked against
 *    the timeout the runtime asked for (the time to its next timer, runtime/proc.go
 *    findRunnable: netpoll(delay) with delay = pollUntil - now).
 * Go ABIInternal: arguments in registers (go.bpf.h); entry probes only, never a uretprobe.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "count.bpf.h"
#include "go.bpf.h"
#include "timers.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile struct timers_config cfg = {};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct timers_op_key);
	__type(value, __u64);
} ops SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct timers_run_key);
	__type(value, __u64);
} runs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct timers_late_key);
	__type(value, __u64);
} late SEC(".maps");

/* netpollBreak by return address. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, __u64);
} breaks SEC(".maps");

/* An epoll wait in progress, by thread: its start and timeout (ms). */
struct poll_start {
	__u64 ns;
	__s64 timeout_ms;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct poll_start);
} polling SEC(".maps");

/* --locks: by P id, and the thread waiting for a timers lock (its P id). */
struct timers_lock_counts lock_counts[TIMERS_MAX_P] = {};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u32);
} lock_waiting SEC(".maps");

/* A futex wait in progress by a thread waiting for a timers lock: its start. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u64);
} lock_sleep SEC(".maps");

__u64 counters[TIMERS_CTR_NR] = {};
__u64 lost = 0;		/* counts that found their map full */

/* The pc of a func value (*funcval: its first word), 0 when nil or unreadable. */
static __always_inline __u64 func_pc(__u64 f)
{
	return f ? read_u64(f) : 0;
}

/*
 * Entry of addtimer(t), modtimer(t, when, period, f, arg, seq), deltimer(t) (<= 1.22,
 * runtime/time.go) and (*timer).maybeAdd(t), modify(t, when, period, f, arg, seq),
 * stop(t) (1.23+): t is the first argument everywhere. modify's f is nil when a reset
 * keeps the timer's own (1.23+ (*timer).reset), so the timer's field is read then.
 */
SEC("uprobe")
int timers_op(struct pt_regs *ctx)
{
	__u64 cookie = go_cookie(ctx), t = go_arg(ctx, 0), fpc = 0;
	struct timers_op_key key = {};

	if (!is_target_tgid(cfg.tgid) || go_entry_repeats(ctx))
		return 0;
	if (cookie & TIMERS_F_ARG)
		fpc = func_pc(go_arg(ctx, 3));
	if (!fpc && t)
		fpc = func_pc(read_u64(t + cfg.timer_f));
	key.op = cookie & 0xff;
	key.p = go_p_id(go_g(ctx), &cfg.go);
	key.fpc = fpc;
	count_key(&ops, &key, &lost);
	return 0;
}

static __always_inline __u32 late_bucket(__s64 ns)
{
	__u64 v = ns > 0 ? (__u64)ns : 0;
	__u32 log = 0;

	if (v < 8)
		return (__u32)v;
	/* floor(log2(v)), v >= 8 */
	if (v >> 32) { v >>= 32; log += 32; }
	if (v >> 16) { v >>= 16; log += 16; }
	if (v >> 8) { v >>= 8; log += 8; }
	if (v >> 4) { v >>= 4; log += 4; }
	if (v >> 2) { v >>= 2; log += 2; }
	if (v >> 1) { log += 1; }
	{
		__u64 n = ns;
		__u32 sub = (__u32)(n >> (log - 3)) & 7;
		__u32 b = (log - 2) * 8 + sub;

		return b < TIMERS_LATE_BUCKETS ? b : TIMERS_LATE_BUCKETS - 1;
	}
}

/*
 * A timer about to run: runOneTimer(pp, t, now) (<= 1.22) or (*timer).unlockAndRun(t, now)
 * (1.23+), both called with t due (when <= now: runtimer / (*timers).run check it, go1.19
 * and go1.26 runtime/time.go); the runtime itself computes now - t.when as the delay it
 * passes to f from 1.23 on.
 */
SEC("uprobe")
int timers_run(struct pt_regs *ctx)
{
	__u64 layout = go_cookie(ctx), t, owner_p = 0;
	__s64 now, when;
	struct timers_run_key key = {};
	struct timers_late_key lk = {};

	if (!is_target_tgid(cfg.tgid) || go_entry_repeats(ctx))
		return 0;
	if (layout == TIMERS_RUN_PP) {
		owner_p = go_arg(ctx, 0);
		t = go_arg(ctx, 1);
		now = (__s64)go_arg(ctx, 2);
	} else {
		__u64 ts;

		t = go_arg(ctx, 0);
		now = (__s64)go_arg(ctx, 1);
		ts = t ? read_u64(t + cfg.timer_ts) : 0;
		owner_p = ts ? ts - cfg.p_timers : 0;
	}
	if (!t) {
		__sync_fetch_and_add(&counters[TIMERS_CTR_NOP], 1);
		return 0;
	}
	when = (__s64)read_u64(t + cfg.timer_when);
	key.runner = go_p_id(go_g(ctx), &cfg.go);
	key.owner = owner_p ? (__s32)read_u32(owner_p + cfg.go.p_id) : -1;
	key.fpc = func_pc(read_u64(t + cfg.timer_f));
	count_key(&runs, &key, &lost);
	lk.fpc = key.fpc;
	lk.bucket = late_bucket(now - when);
	count_key(&late, &lk, &lost);
	return 0;
}

/*
 * runtime.netpollBreak() (netpoll_epoll.go, go1.19-1.27): at the entry probe (before the
 * frame is made) the stack pointer points at the return address into the caller.
 */
SEC("uprobe")
int timers_break(struct pt_regs *ctx)
{
	__u64 ret;

	if (!is_target_tgid(cfg.tgid) || go_entry_repeats(ctx))
		return 0;
	ret = read_u64(PT_REGS_SP(ctx));
	count_key(&breaks, &ret, &lost);
	return 0;
}

/*
 * --locks: runtime.lock2(l *mutex), every runtime lock (lock_futex.go up to 1.23,
 * lock_spinbit.go from 1.24). l is a timers lock when l - off(p.timers lock) is a P that
 * allp holds at its id. A lock found held (key's low bits: mutex_locked/mutex_sleeping up
 * to 1.23, mutexLocked/mutexSleeping from 1.24) is a wait; the thread's futex sleeps until
 * its next lock2 are its time waited (up to 1.23 it sleeps on the lock's key, from 1.24 on
 * its M's semaphore: either way a futex wait). The cookie is the probe's link-time address:
 * IP minus it is the PIE load bias.
 */
SEC("uprobe")
int timers_lock(struct pt_regs *ctx)
{
	__u64 l = go_arg(ctx, 0), p, bias, arr, len, key;
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__s32 id;
	struct timers_lock_counts *c;

	if (!is_target_tgid(cfg.tgid) || go_entry_repeats(ctx))
		return 0;
	__sync_fetch_and_add(&counters[TIMERS_CTR_LOCK_HITS], 1);
	bpf_map_delete_elem(&lock_waiting, &tid);
	p = l - cfg.p_timers_lock;
	id = (__s32)read_u32(p + cfg.go.p_id);
	if (id < 0 || id >= TIMERS_MAX_P)
		return 0;
	bias = PT_REGS_IP(ctx) - go_cookie(ctx);
	arr = read_u64(cfg.allp + bias);
	len = read_u64(cfg.allp + bias + 8);
	if ((__u64)id >= len || read_u64(arr + 8 * (__u64)id) != p)
		return 0;
	c = &lock_counts[id];
	__sync_fetch_and_add(&c->acquisitions, 1);
	key = read_u64(l);
	if (key & 3) {
		__u32 pid = (__u32)id;

		__sync_fetch_and_add(&c->waits, 1);
		bpf_map_update_elem(&lock_waiting, &tid, &pid, BPF_ANY);
	}
	return 0;
}

#if defined(__TARGET_ARCH_x86)
#define NR_EPOLL_WAIT 232
#define NR_EPOLL_PWAIT 281
#define NR_FUTEX 202
#elif defined(__TARGET_ARCH_arm64)
#define NR_EPOLL_WAIT -1	/* arm64 has epoll_pwait alone */
#define NR_EPOLL_PWAIT 22
#define NR_FUTEX 98
#endif
#define FUTEX_CMD_MASK 0x7f	/* without FUTEX_PRIVATE_FLAG, FUTEX_CLOCK_REALTIME */
#define FUTEX_WAIT_OP 0

/*
 * The runtime's netpoll blocks in epoll_pwait (epoll_wait on some releases), timeout the 4th
 * argument in ms: -1 forever, 0 a check that does not block.
 */
SEC("tp_btf/sys_enter")
int BPF_PROG(timers_sys_enter, struct pt_regs *regs, long id)
{
	struct poll_start s = {};
	__u32 tid;

	if (id == NR_FUTEX && cfg.locks) {
		__u64 now;

		if (!is_target_tgid(cfg.tgid))
			return 0;
#if defined(__TARGET_ARCH_x86)
		__u64 op = BPF_CORE_READ(regs, si);	/* futex(uaddr, op, ...) */
#else
		__u64 op = BPF_CORE_READ(regs, regs[1]);
#endif

		if ((op & FUTEX_CMD_MASK) != FUTEX_WAIT_OP)
			return 0;
		tid = (__u32)bpf_get_current_pid_tgid();
		if (!bpf_map_lookup_elem(&lock_waiting, &tid))
			return 0;
		now = bpf_ktime_get_ns();
		bpf_map_update_elem(&lock_sleep, &tid, &now, BPF_ANY);
		return 0;
	}
	if (id != NR_EPOLL_PWAIT && id != NR_EPOLL_WAIT)
		return 0;
	if (!is_target_tgid(cfg.tgid))
		return 0;
#if defined(__TARGET_ARCH_x86)
	s.timeout_ms = (int)BPF_CORE_READ(regs, r10);
#else
	s.timeout_ms = (int)BPF_CORE_READ(regs, regs[3]);
#endif
	if (s.timeout_ms == 0)
		return 0;
	s.ns = bpf_ktime_get_ns();
	tid = (__u32)bpf_get_current_pid_tgid();
	bpf_map_update_elem(&polling, &tid, &s, BPF_ANY);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(timers_sys_exit, struct pt_regs *regs, long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct poll_start *s;
	__u64 ns;

	if (!is_target_tgid(cfg.tgid))
		return 0;
	if (cfg.locks) {
		__u64 *start = bpf_map_lookup_elem(&lock_sleep, &tid);
		__u32 *pid = bpf_map_lookup_elem(&lock_waiting, &tid);

		if (start) {
			if (pid && *pid < TIMERS_MAX_P) {
				struct timers_lock_counts *c = &lock_counts[*pid];

				__sync_fetch_and_add(&c->sleeps, 1);
				__sync_fetch_and_add(&c->sleep_ns, bpf_ktime_get_ns() - *start);
			}
			bpf_map_delete_elem(&lock_sleep, &tid);
			return 0;
		}
	}
	s = bpf_map_lookup_elem(&polling, &tid);
	if (!s)
		return 0;
	ns = bpf_ktime_get_ns() - s->ns;
	__sync_fetch_and_add(&counters[TIMERS_CTR_POLLS], 1);
	__sync_fetch_and_add(&counters[TIMERS_CTR_POLL_NS], ns);
	if (s->timeout_ms < 0) {
		__sync_fetch_and_add(&counters[TIMERS_CTR_POLL_FOREVER], 1);
	} else if (ret == 0) {
		__sync_fetch_and_add(&counters[TIMERS_CTR_POLL_TIMED_OUT], 1);
	}
	bpf_map_delete_elem(&polling, &tid);
	return 0;
}
