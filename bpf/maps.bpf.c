// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Map experiment (EXP-07): every growth of a Go map, and where the target's CPU time goes.
 *
 * Growth functions (go1.19-1.23 and GOEXPERIMENT=noswissmap: src/runtime/map.go or
 * map_noswiss.go; go1.24+: src/internal/runtime/maps/map.go and table.go):
 *   runtime.hashGrow(t *maptype, h *hmap): h RBX. Allocates the new bucket array and sets
 *     h.B += 1 (or leaves B for a same-size growth, flags |= sameSizeGrow); evacuation is
 *     incremental, done by later writes (growWork), so the call is only its first step.
 *   (*Map).growToSmall(m, typ): m RAX. A map without storage gets one group of 8 slots.
 *   (*Map).growToTable(m, typ): m RAX. The small group's entries move into a table.
 *   (*table).grow(t, typ, m, newCapacity uint16): t RAX, m RCX, newCapacity RDI.
 *   (*table).split(t, typ, m): t RAX, m RCX. A table at maxTableCapacity is split in two.
 * Go calls these with ABIInternal (go.bpf.h): arguments in registers at the entry probe.
 * growToSmall is probed at its entry alone (below). The entry remembers what it read for the goroutine (g, R14: a growth allocates and may
 * resume on another thread), the RET probe (a plain uprobe on each RET instruction, never a
 * uretprobe) reads the result and sends one event.
 *
 * --exact: an entry probe on each map function the compiler calls (runtime.mapaccess1_fast64,
 * mapassign_faststr, mapdelete, ...: go1.19-1.23 runtime/map*.go, go1.24+
 * internal/runtime/maps/runtime*.go), all taking (t *maptype, m *map, key) in RAX, RBX, RCX;
 * the cookie is the function's number (low 8 bits) and the probe's link-time address.
 *
 * --exact also counts a lookup's work: a plain uprobe on an instruction inside the lookup
 * functions (user space finds them in the disassembly, exp/maps/code.h: a group matched, a
 * SIMD candidate, a slot scanned), almost all on a JMP, Jcc or NOP, which the kernel
 * emulates; the cookie is the site's number. With --watch, the map function's entry notes
 * for its goroutine whether the map is the watched one, and the sites count only then.
 *
 * --phase-mark FUNC: an entry probe on a function the workload calls where a phase begins;
 * the counts of --exact go to that phase's slot (ops and site_hits hold MAPS_PHASES copies),
 * and an event tells user space, which reads the target's counters then. The function's
 * first argument, when it is a Go string (RAX pointer, RBX length), names the phase.
 *
 * cpu-clock samples: the user pc of every sample of a target thread, counted per pc; user
 * space names the function.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "go.bpf.h"
#include "events.bpf.h"
#include "maps.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile struct maps_config cfg = {};
__u64 lost_events = 0;	/* growth events that found the ring full */
__u64 lost_marks = 0;	/* phase marks that found their ring full */
__u32 phase = 0;	/* --phase-mark: marks seen so far */

static __always_inline __u32 phase_slot(void)
{
	__u32 p = phase;

	return p < MAPS_PHASES ? p : MAPS_PHASES - 1;
}

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MAPS_CTR_NR);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 16);
} marks SEC(".maps");

/* --exact: calls per map function, by phase * MAPS_OP_FUNCS + its number. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MAPS_PHASES * MAPS_OP_FUNCS);
	__type(key, __u32);
	__type(value, __u64);
} ops SEC(".maps");

/* --exact: executions of each lookup site, by phase * MAPS_SITES + its number. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MAPS_PHASES * MAPS_SITES);
	__type(key, __u32);
	__type(value, __u64);
} site_hits SEC(".maps");

/* --exact --watch: 1 while the goroutine (g) is in a map function of the watched map. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, __u8);
} in_watched SEC(".maps");

/* Growths under way, by g (max_entries set by user space). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, __u64);
	__type(value, struct maps_growth_event);
} inflight SEC(".maps");

/* cpu-clock samples by user pc (max_entries set by user space). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, __u64);
	__type(value, __u64);
} samples SEC(".maps");

static __always_inline void add(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	if (v)
		*v += 1;
}

SEC("uprobe")
int maps_grow_entry(struct pt_regs *ctx)
{
	struct maps_growth_event e = {};
	__u64 g = go_g(ctx);

	if (!is_target_tgid(cfg.tgid) || go_entry_repeats(ctx))
		return 0;
	add(MAPS_CTR_ENTRIES);
	e.kind = (__u32)go_cookie(ctx);
	e.goid_g = g;
	switch (e.kind) {
	case MAPS_GROW_HASHGROW:
		e.map = go_arg(ctx, 1);
		e.entries = read_u64(e.map + cfg.hmap_count);
		e.cap_before = 8u << (read_u8(e.map + cfg.hmap_B) & 31);
		break;
	case MAPS_GROW_TO_SMALL:
	case MAPS_GROW_TO_TABLE:
		e.map = go_arg(ctx, 0);
		e.entries = read_u64(e.map + cfg.map_used);
		e.cap_before = e.kind == MAPS_GROW_TO_SMALL ? 0 : 8;
		break;
	case MAPS_GROW_TABLE:
	case MAPS_GROW_SPLIT:
		e.table = go_arg(ctx, 0);
		e.map = go_arg(ctx, 2);
		e.entries = read_u64(e.map + cfg.map_used);
		e.table_entries = read_u16(e.table + cfg.table_used);
		e.cap_before = read_u16(e.table + cfg.table_capacity);
		/* split: two tables of the old one's capacity (maxTableCapacity), table.go */
		e.cap_after = e.kind == MAPS_GROW_TABLE ? (__u16)go_arg(ctx, 3) : 2 * e.cap_before;
		break;
	default:
		return 0;
	}
	e.start_ns = bpf_ktime_get_ns();
	if (e.kind == MAPS_GROW_TO_SMALL) {
		/* Every new map's first insert: entry only (its RETs are single-stepped, and
		 * an HTTP server makes such maps per request), sent now with no duration. */
		e.cap_after = 8;	/* one group: abi.SwissMapGroupSlots */
		e.end_ns = e.start_ns;
		if (events_output(&events, &e, sizeof(e), &lost_events) == 0)
			add(MAPS_CTR_EVENTS);
		return 0;
	}
	bpf_map_update_elem(&inflight, &g, &e, BPF_ANY);
	return 0;
}

SEC("uprobe")
int maps_grow_return(struct pt_regs *ctx)
{
	struct maps_growth_event *f, e;
	__u64 g = go_g(ctx), dir = 0;

	if (!is_target_tgid(cfg.tgid))
		return 0;
	f = bpf_map_lookup_elem(&inflight, &g);
	if (!f) {
		add(MAPS_CTR_NO_ENTRY);
		return 0;
	}
	e = *f;
	bpf_map_delete_elem(&inflight, &g);
	e.end_ns = bpf_ktime_get_ns();
	switch (e.kind) {
	case MAPS_GROW_HASHGROW:
		e.cap_after = 8u << (read_u8(e.map + cfg.hmap_B) & 31);
		break;
	case MAPS_GROW_TO_TABLE:
		/* the directory's one table (dirPtr -> [1]*table) */
		dir = read_u64(e.map + cfg.map_dirptr);
		e.table = dir ? read_u64(dir) : 0;
		e.cap_after = e.table ? read_u16(e.table + cfg.table_capacity) : 0;
		break;
	}
	if (events_output(&events, &e, sizeof(e), &lost_events) == 0)
		add(MAPS_CTR_EVENTS);
	return 0;
}

SEC("uprobe")
int maps_op(struct pt_regs *ctx)
{
	__u64 cookie = go_cookie(ctx), *v;
	__u32 idx = (cookie & 0xff) % MAPS_OP_FUNCS + phase_slot() * MAPS_OP_FUNCS;

	if (!is_target_tgid(cfg.tgid) || go_entry_repeats(ctx))
		return 0;
	if (cfg.watch_var) {
		/* The handler sees ip at the probed instruction (uprobes.c handle_swbp sets it
		 * back); masking to the page keeps this right either way: a bias is page-aligned. */
		__u64 bias = (PT_REGS_IP(ctx) - (cookie >> 8)) & ~0xfffULL;
		__u64 m = read_u64(cfg.watch_var + bias), g = go_g(ctx);
		__u8 on = m && m == go_arg(ctx, 1);

		bpf_map_update_elem(&in_watched, &g, &on, BPF_ANY);
		if (!on)
			return 0;
	}
	v = bpf_map_lookup_elem(&ops, &idx);
	if (v)
		*v += 1;
	return 0;
}

SEC("uprobe")
int maps_site(struct pt_regs *ctx)
{
	__u32 idx = (__u32)go_cookie(ctx) % MAPS_SITES + phase_slot() * MAPS_SITES;
	__u64 *v;

	if (!is_target_tgid(cfg.tgid))
		return 0;
	if (cfg.watch_var) {
		__u64 g = go_g(ctx);
		__u8 *on = bpf_map_lookup_elem(&in_watched, &g);

		if (!on || !*on)
			return 0;
	}
	v = bpf_map_lookup_elem(&site_hits, &idx);
	if (v)
		*v += 1;
	return 0;
}

SEC("uprobe")
int maps_mark(struct pt_regs *ctx)
{
	struct maps_mark_event e = {};
	__u64 len;

	if (!is_target_tgid(cfg.tgid) || go_entry_repeats(ctx))
		return 0;
	e.ns = bpf_ktime_get_ns();
	/* clang 14's BPF target has no fetch-and-add that returns: marks are rare and come
	 * from one goroutine in the workloads gri knows; two at once could share a number. */
	__sync_fetch_and_add(&phase, 1);
	e.phase = phase;
	len = go_arg(ctx, 1);
	if (len > 0 && len <= MAPS_MARK_NAME) {
		__u32 n = len;

		if (n > MAPS_MARK_NAME)
			n = MAPS_MARK_NAME;
		if (bpf_probe_read_user(e.name, n, (void *)go_arg(ctx, 0)) == 0)
			e.name_len = n;
	}
	events_output(&marks, &e, sizeof(e), &lost_marks);
	return 0;
}

SEC("perf_event")
int maps_sample(struct bpf_perf_event_data *ctx)
{
	__u64 pc, one = 1, *n;

	/* The sample interrupts the task it is about: current is right here. */
	if (!current_in_target(cfg.tgid) || bpf_get_current_pid_tgid() >> 32 == 0)
		return 0;
	add(MAPS_CTR_SAMPLES);
	pc = PT_REGS_IP(&ctx->regs);
	if (pc >> 63)	/* a kernel address: the thread was in a system call (counted as pc 0) */
		pc = 0;
	n = bpf_map_lookup_elem(&samples, &pc);
	if (n) {
		__sync_fetch_and_add(n, 1);
	} else if (bpf_map_update_elem(&samples, &pc, &one, BPF_NOEXIST)) {
		n = bpf_map_lookup_elem(&samples, &pc);
		if (n)
			__sync_fetch_and_add(n, 1);
		else
			add(MAPS_CTR_SAMPLES_DROPPED);
	}
	return 0;
}
