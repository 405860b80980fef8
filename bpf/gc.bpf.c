// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* GC experiment (EXP-05): GC cycle probes. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "go.bpf.h"
#include "events.bpf.h"
#include "gc.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile struct gc_config cfg = {};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, GC_CTR_NR);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} cycles SEC(".maps");

__u64 lost_cycles = 0;		/* cycle events that found the ring full */
__u32 last_trigger_kind = 0;	/* of the latest runtime.gcStart call */
__u32 in_mark_termination = 0;	/* set at gcMarkTermination, cleared when its event is out */
__u64 assists = 0;		/* gcAssistAlloc calls since the last cycle event */
__u64 wb_flushes = 0;		/* write-barrier buffer flushes during mark, this cycle */
__u64 wb_pointers = 0;		/* pointers in the buffers they flushed */
__u64 wb_outside_mark = 0;	/* flushes while gcphase was _GCoff: the barrier was off */
__u64 wb_max_pointers = 0;	/* most pointers one flush found */
__u64 wb_capacity = 0;		/* most pointers a buffer can hold, from its own bounds */

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	if (v)
		(*v)++;
}

/*
 * runtime.gcStart(trigger gcTrigger): trigger.kind arrives in the first argument
 * register (gcTrigger{kind, now, n} is flattened, Go 1.19-1.27 src/runtime/mgc.go).
 */
SEC("uprobe")
int gc_start(struct pt_regs *ctx)
{
	if (!is_target_tgid(cfg.tgid))
		return 0;
	count(GC_CTR_START);
	last_trigger_kind = (__u32)go_arg(ctx, 0);
	if (last_trigger_kind == GC_TRIGGER_CYCLE)
		count(GC_CTR_START_FORCED);
	return 0;
}

/* runtime.gcAssistAlloc: a goroutine that allocated on credit pays it back with mark work. */
SEC("uprobe")
int gc_assist(struct pt_regs *ctx)
{
	if (is_target_tgid(cfg.tgid))
		__sync_fetch_and_add(&assists, 1);
	return 0;
}

/* runtime.gcMarkTermination runs once per cycle that completes its mark phase. */
SEC("uprobe")
int gc_mark_termination(struct pt_regs *ctx)
{
	if (!is_target_tgid(cfg.tgid))
		return 0;
	count(GC_CTR_MARK_TERM);
	in_mark_termination = 1;
	return 0;
}

static __always_inline __u64 read_u64(__u64 addr)
{
	__u64 v = 0;

	bpf_probe_read_user(&v, sizeof(v), (void *)addr);
	return v;
}

static __always_inline __u32 read_u32(__u64 addr)
{
	__u32 v = 0;

	bpf_probe_read_user(&v, sizeof(v), (void *)addr);
	return v;
}

/*
 * At the entry of runtime.startTheWorldWithSema called by gcMarkTermination: the cycle's
 * figures are final (heap2, lastHeapGoal via endCycle, numgc++ all come before it) and the
 * next cycle cannot have begun: gcStart sets work.heap0 holding gcsema, which
 * gcMarkTermination releases only at its end (Go 1.19-1.27 src/runtime/mgc.go). At its RET
 * that is no longer true: measured, a heap0 of the next cycle (11 MB where gctrace printed 7)
 * once in 69 cycles on go1.26. Other callers of startTheWorldWithSema (ReadMemStats, ...)
 * find the flag clear. The cookie is this site's link-time address: the probe's own address
 * minus it is the PIE load bias.
 */
SEC("uprobe")
int gc_start_the_world(struct pt_regs *ctx)
{
	const volatile struct gc_offsets *o = &cfg.off;
	struct gc_cycle_event e = {};
	__u64 bias, work, gcc, stats;

	if (!is_target_tgid(cfg.tgid) || !cfg.cycle_events || !in_mark_termination)
		return 0;
	in_mark_termination = 0;
	bias = PT_REGS_IP(ctx) - bpf_get_attach_cookie(ctx);
	work = o->work + bias;
	gcc = o->gc_controller + bias;
	stats = o->memstats + bias;
	e.ktime_ns = bpf_ktime_get_ns();
	e.heap0 = read_u64(work + o->work_heap0);
	e.heap1 = read_u64(work + o->work_heap1);
	e.heap2 = read_u64(work + o->work_heap2);
	e.user_forced = read_u32(work + o->work_user_forced) & 0xff;
	e.heap_goal = read_u64(gcc + o->last_heap_goal);
	e.gc_percent = (__s32)read_u32(gcc + o->gc_percent);
	e.memory_limit = (__s64)read_u64(gcc + o->memory_limit);
	e.numgc = read_u32(stats + o->numgc);
	e.trigger_kind = last_trigger_kind;
	e.t_sweep_term = (__s64)read_u64(work + o->t_sweep_term);
	e.t_mark = (__s64)read_u64(work + o->t_mark);
	e.t_mark_term = (__s64)read_u64(work + o->t_mark_term);
	e.t_end = (__s64)read_u64(work + o->t_end);
	e.assist_ns = (__s64)read_u64(gcc + o->assist_time);
	e.assists = __sync_fetch_and_and(&assists, 0);
	e.wb_flushes = __sync_fetch_and_and(&wb_flushes, 0);
	e.wb_pointers = __sync_fetch_and_and(&wb_pointers, 0);
	events_output(&cycles, &e, sizeof(e), &lost_cycles);
	return 0;
}

/*
 * runtime.wbBufFlush1(pp *p): empties P pp's write-barrier buffer and shades what it held
 * (src/runtime/mwbbuf.go, Go 1.19-1.27). The buffer holds the pointers between buf[0] and
 * next; end bounds it. The cookie is this site's link-time address, for the PIE load bias.
 */
SEC("uprobe")
int gc_wb_flush(struct pt_regs *ctx)
{
	const volatile struct gc_offsets *o = &cfg.off;
	__u64 pp = go_arg(ctx, 0), bias, buf, next, end, n, cap;
	__u32 phase;

	if (!is_target_tgid(cfg.tgid) || !cfg.cycle_events || !pp)
		return 0;
	bias = PT_REGS_IP(ctx) - bpf_get_attach_cookie(ctx);
	phase = read_u32(o->gcphase + bias);
	if (phase == GC_PHASE_OFF) {
		__sync_fetch_and_add(&wb_outside_mark, 1);
		return 0;
	}
	buf = pp + o->wbbuf_buf;
	next = read_u64(pp + o->wbbuf_next);
	end = read_u64(pp + o->wbbuf_end);
	n = next > buf ? (next - buf) / 8 : 0;
	cap = end > buf ? (end - buf) / 8 : 0;
	__sync_fetch_and_add(&wb_flushes, 1);
	__sync_fetch_and_add(&wb_pointers, n);
	if (n > wb_max_pointers)
		wb_max_pointers = n;
	if (cap > wb_capacity)
		wb_capacity = cap;
	return 0;
}
