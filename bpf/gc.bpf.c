// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* GC experiment (EXP-05): GC cycle probes. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "go.bpf.h"
#include "gc.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile struct gc_config cfg = {};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, GC_CTR_NR);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

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
	if (go_arg(ctx, 0) == GC_TRIGGER_CYCLE)
		count(GC_CTR_START_FORCED);
	return 0;
}

/* runtime.gcMarkTermination runs once per cycle that completes its mark phase. */
SEC("uprobe")
int gc_mark_termination(struct pt_regs *ctx)
{
	if (!is_target_tgid(cfg.tgid))
		return 0;
	count(GC_CTR_MARK_TERM);
	return 0;
}
