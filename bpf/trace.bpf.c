// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * gri trace: an entry uprobe after each function's stack check and a uprobe on each of its
 * RET instructions (never a uretprobe), both told the function's index by the attach cookie.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "go.bpf.h"
#include "trace.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile struct trace_config cfg = {};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TRACE_MAX_FUNCS);
	__type(key, __u32);
	__type(value, __u64);
} calls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TRACE_MAX_FUNCS * TRACE_HIST_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} hist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TRACE_MAX_FUNCS * TRACE_MAX_PS);
	__type(key, __u32);
	__type(value, __u64);
} calls_by_p SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TRACE_CTR_NR);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* max_entries is set by user space before load. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, struct trace_key);
	__type(value, struct trace_frames);
} inflight SEC(".maps");

static __always_inline void add(void *map, __u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(map, &idx);

	if (v)
		(*v)++;
}

SEC("uprobe")
int trace_entry(struct pt_regs *ctx)
{
	struct trace_key key = {};
	struct trace_frames *f, zero = {};
	__u32 func = (__u32)go_cookie(ctx);

	if (!is_target_tgid(cfg.tgid) || func >= TRACE_MAX_FUNCS || go_entry_repeats(ctx))
		return 0;
	add(&calls, func);
	key.g = go_g(ctx);
	if (cfg.count_ps) {
		__s32 p = go_p_id(key.g, &cfg.go);

		if (p >= 0 && p < TRACE_MAX_PS)
			add(&calls_by_p, func * TRACE_MAX_PS + (__u32)p);
		else
			add(&counters, TRACE_CTR_NO_P);
	}
	key.func = func;
	f = bpf_map_lookup_elem(&inflight, &key);
	if (!f) {
		bpf_map_update_elem(&inflight, &key, &zero, BPF_NOEXIST);
		f = bpf_map_lookup_elem(&inflight, &key);
		if (!f) {
			add(&counters, TRACE_CTR_INFLIGHT_FULL);
			return 0;
		}
	}
	if (f->depth < TRACE_MAX_DEPTH)
		f->start_ns[f->depth & (TRACE_MAX_DEPTH - 1)] = bpf_ktime_get_ns();
	else
		add(&counters, TRACE_CTR_DEPTH_OVERFLOW);
	f->depth++;
	return 0;
}

static __always_inline __u32 log2_u64(__u64 v)
{
	__u32 r = 0;

	if (v >> 32) { v >>= 32; r += 32; }
	if (v >> 16) { v >>= 16; r += 16; }
	if (v >> 8) { v >>= 8; r += 8; }
	if (v >> 4) { v >>= 4; r += 4; }
	if (v >> 2) { v >>= 2; r += 2; }
	if (v >> 1) { r += 1; }
	return r;
}

SEC("uprobe")
int trace_return(struct pt_regs *ctx)
{
	struct trace_key key = {};
	struct trace_frames *f;
	__u32 func = (__u32)go_cookie(ctx), d, slot;
	__u64 now = bpf_ktime_get_ns(), start;

	if (!is_target_tgid(cfg.tgid) || func >= TRACE_MAX_FUNCS)
		return 0;
	add(&counters, TRACE_CTR_RETURNS);
	key.g = go_g(ctx);
	key.func = func;
	f = bpf_map_lookup_elem(&inflight, &key);
	if (!f || f->depth == 0) {
		add(&counters, TRACE_CTR_UNMATCHED_RETURN);
		return 0;
	}
	d = --f->depth;
	if (d < TRACE_MAX_DEPTH) {
		start = f->start_ns[d & (TRACE_MAX_DEPTH - 1)];
		slot = log2_u64(now > start ? now - start : 0);
		add(&hist, func * TRACE_HIST_SLOTS + (slot & (TRACE_HIST_SLOTS - 1)));
	}
	if (d == 0)
		bpf_map_delete_elem(&inflight, &key);
	return 0;
}
