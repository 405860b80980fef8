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
__u64 grey_calls = 0;		/* greyobject + tryDeferToSpanScan entries this cycle */
__u64 shade_calls = 0;		/* runtime.shade entries this cycle */
__u64 watch_addr = 0;		/* --watch: the object's address, read from the Go global */
__u64 watch_first_ns = 0;	/* when a flush or a marker first reached it this cycle */
__u64 watch_reaches = 0;	/* how often they reached it this cycle */
__u32 watch_first_by = 0;	/* enum gc_watch_by */
__s32 watch_first_p = -1;

__u64 stw_start_ns = 0;		/* the pause in progress: the world stops one at a time */
struct gc_stw_key stw_key = {};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, struct gc_stw_key);
	__type(value, struct gc_stw_value);
} stw SEC(".maps");

/* A write-barrier buffer is read 64 pointers at a time: 512 B, too big for the BPF stack. */
#define GC_CHUNK 64
#define GC_MAX_CHUNKS 8		/* 512 pointers: the buffer of Go 1.19-1.27 (mwbbuf.go) */
struct gc_chunk {
	__u64 p[GC_CHUNK];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct gc_chunk);
} chunk SEC(".maps");

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
	if (!is_target_tgid(cfg.tgid) || go_entry_repeats(ctx))
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
	if (!is_target_tgid(cfg.tgid) || go_entry_repeats(ctx))
		return 0;
	count(GC_CTR_HIT_ASSIST);
	__sync_fetch_and_add(&assists, 1);
	return 0;
}

/* runtime.gcMarkTermination runs once per cycle that completes its mark phase. */
SEC("uprobe")
int gc_mark_termination(struct pt_regs *ctx)
{
	if (!is_target_tgid(cfg.tgid) || go_entry_repeats(ctx))
		return 0;
	count(GC_CTR_MARK_TERM);
	in_mark_termination = 1;
	return 0;
}

/* --watch: the watched object's address, read from the Go global once per cycle. */
static __always_inline __u64 watch_object(__u64 bias)
{
	if (!watch_addr)
		watch_addr = read_u64(cfg.watch_global + bias);
	return watch_addr;
}

/* Records a reach of the watched object; the first one of the cycle says who greyed it. */
static __always_inline void watch_reached(__u32 by, __u64 p)
{
	__s32 id = -1;

	__sync_fetch_and_add(&watch_reaches, 1);
	if (__sync_val_compare_and_swap(&watch_first_ns, 0, bpf_ktime_get_ns()) != 0)
		return;
	if (p)
		bpf_probe_read_user(&id, sizeof(id), (void *)(p + cfg.off.go.p_id));
	watch_first_by = by;
	watch_first_p = id;
}

/* Whether obj is among the n pointers of a write-barrier buffer that starts at buf. */
static __always_inline bool in_buffer(__u64 buf, __u64 n, __u64 obj)
{
	__u32 zero = 0;
	struct gc_chunk *c = bpf_map_lookup_elem(&chunk, &zero);

	if (!c || !obj)
		return false;
	for (__u32 k = 0; k < GC_MAX_CHUNKS; k++) {
		__u64 first = (__u64)k * GC_CHUNK;

		if (first >= n)
			break;
		if (bpf_probe_read_user(c->p, sizeof(c->p), (void *)(buf + first * 8)))
			return false;
		for (__u32 i = 0; i < GC_CHUNK; i++) {
			if (first + i >= n)
				break;
			if (c->p[i] == obj)
				return true;
		}
	}
	return false;
}

/*
 * runtime.stopTheWorldWithSema: a pause begins (its caller holds worldsema, so pauses do not
 * overlap: Go 1.19-1.27 src/runtime/proc.go). Its reason, per version, as gc.h says.
 */
SEC("uprobe")
int gc_stop_the_world(struct pt_regs *ctx)
{
	struct gc_stw_key key = {.code = GC_STW_NO_CODE};
	__u64 m = 0, str[2] = {};

	if (!is_target_tgid(cfg.tgid) || go_entry_repeats(ctx))
		return 0;
	count(GC_CTR_HIT_STOP_WORLD);
	if (cfg.stw_reason_arg) {
		key.code = (__u32)(go_arg(ctx, 0) & 0xff);
	} else if (cfg.stw_preemptoff) {
		bpf_probe_read_user(&m, sizeof(m), (void *)(go_g(ctx) + cfg.off.go.g_m));
		/* A Go string is {ptr, len}: a fixed-size read, then cut at len. */
		if (m && !bpf_probe_read_user(str, sizeof(str), (void *)(m + cfg.off.m_preemptoff)) &&
		    str[1] && !bpf_probe_read_user(key.text, GC_STW_TEXT - 1, (void *)str[0])) {
			for (__u32 i = 0; i < GC_STW_TEXT; i++)
				if (i >= str[1])
					key.text[i] = 0;
		}
	}
	stw_key = key;
	stw_start_ns = bpf_ktime_get_ns();
	return 0;
}

/* At startTheWorldWithSema: the pause in progress ends. */
static __always_inline void stw_ended(void)
{
	struct gc_stw_key key = stw_key;
	struct gc_stw_value one = {}, *v;
	__u64 start = stw_start_ns, d;

	if (!start)
		return;
	stw_start_ns = 0;
	d = bpf_ktime_get_ns() - start;
	v = bpf_map_lookup_elem(&stw, &key);
	if (!v) {
		one.count = 1;
		one.total_ns = d;
		one.max_ns = d;
		bpf_map_update_elem(&stw, &key, &one, BPF_NOEXIST);
		return;
	}
	__sync_fetch_and_add(&v->count, 1);
	__sync_fetch_and_add(&v->total_ns, d);
	if (d > v->max_ns)
		v->max_ns = d;
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

	if (!is_target_tgid(cfg.tgid) || go_entry_repeats(ctx))
		return 0;
	count(GC_CTR_HIT_START_WORLD);
	stw_ended();
	if (!cfg.cycle_events || !in_mark_termination)
		return 0;
	in_mark_termination = 0;
	bias = PT_REGS_IP(ctx) - go_cookie(ctx);
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
	e.grey_calls = __sync_fetch_and_and(&grey_calls, 0);
	e.shade_calls = __sync_fetch_and_and(&shade_calls, 0);
	e.watch_addr = watch_addr;
	e.watch_by = watch_first_by;
	e.watch_p = watch_first_p;
	e.watch_reaches = __sync_fetch_and_and(&watch_reaches, 0);
	e.watch_ktime_ns = __sync_fetch_and_and(&watch_first_ns, 0);
	watch_addr = 0;	/* read again next cycle: the program may watch another object */
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

	if (!is_target_tgid(cfg.tgid) || go_entry_repeats(ctx))
		return 0;
	count(GC_CTR_HIT_FLUSH);
	if (!cfg.cycle_events || !pp)
		return 0;
	bias = PT_REGS_IP(ctx) - go_cookie(ctx);
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
	if (cfg.watch_global && in_buffer(buf, n, watch_object(bias)))
		watch_reached(GC_WATCH_WRITE_BARRIER, pp);
	return 0;
}

/*
 * Marking probes (--exact, --watch). greyobject(obj, ...) marks a heap object and queues it
 * for scanning; from Go 1.26 (Green Tea GC, src/runtime/mgcmark_greenteagc.go) an object in
 * a small-object span is instead marked through tryDeferToSpanScan(p, gcw), which queues its
 * span; shade(b) is how stack scans and checkmark flushes reach either. The marker is a
 * background worker when its P has a gcMarkWorkerMode, a mutator (assist, own stack) if not.
 */
static __always_inline void mark_reached(struct pt_regs *ctx, __u64 obj)
{
	const volatile struct gc_offsets *o = &cfg.off;
	__u64 p, mode = 0;

	if (!cfg.watch_global || !obj)
		return;
	if (obj != watch_object(PT_REGS_IP(ctx) - go_cookie(ctx)))
		return;
	p = go_p(go_g(ctx), &o->go);
	if (p)
		bpf_probe_read_user(&mode, sizeof(mode), (void *)(p + o->p_mark_worker_mode));
	watch_reached(mode ? GC_WATCH_MARK_WORKER : GC_WATCH_MUTATOR, p);
}

SEC("uprobe")
int gc_grey(struct pt_regs *ctx)
{
	if (!is_target_tgid(cfg.tgid) || go_entry_repeats(ctx))
		return 0;
	count(GC_CTR_HIT_GREY);
	__sync_fetch_and_add(&grey_calls, 1);
	mark_reached(ctx, go_arg(ctx, 0));
	return 0;
}

SEC("uprobe")
int gc_shade(struct pt_regs *ctx)
{
	if (!is_target_tgid(cfg.tgid) || go_entry_repeats(ctx))
		return 0;
	count(GC_CTR_HIT_SHADE);
	__sync_fetch_and_add(&shade_calls, 1);
	return 0;
}
