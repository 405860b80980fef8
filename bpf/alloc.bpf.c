// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Allocator experiment (EXP-04). Nothing here runs on the allocation fast path by default:
 * the counts come from the runtime's own counters, read from user space. BPF adds
 *  - alloc_exit: holds the target at runtime.exit so that its counters can be read once more
 *    before its memory goes;
 *  - alloc_sample: cpu-clock samples with user stacks, for allocation sites;
 *  - alloc_refill (--sites=exact): runtime.(*mcache).refill with its user stack;
 *  - alloc_mallocgc (--exact): runtime.mallocgc, counted by request size and pointer-ness.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "count.bpf.h"
#include "go.bpf.h"
#include "alloc.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile struct alloc_config cfg = {};

/* Counts by whole stack; entries allocated as they come (a preallocated map of 16384 keys of
 * 392 bytes would take 6.4 MiB whether used or not). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct alloc_site_key);
	__type(value, __u64);
} sites SEC(".maps");

/* --exact: calls of runtime.mallocgc by key size << 1 | noscan. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, __u64);
} sizes SEC(".maps");

__u64 exit_holds = 0;	/* runtime.exit entries that stopped the target */
__u64 lost_sites = 0;	/* site counts that found the map full */
__u64 lost_sizes = 0;	/* mallocgc calls whose size found the map full */
__u64 mallocgc_calls = 0;

/*
 * runtime.exit (runtime.exit.abi0, src/runtime/sys_linux_amd64.s, Go 1.19-1.27): the
 * exit_group system call, reached by a return from main.main (runtime.main), os.Exit
 * (syscall.Exit -> runtime.exit) and fatal errors alike. SIGSTOP stops every thread before
 * this one returns to user space, so the heap is intact while gri reads it; gri sends
 * SIGCONT when done. No ptrace: the process stays gri's child (or nobody's).
 */
SEC("uprobe")
int alloc_exit(struct pt_regs *ctx)
{
	if (!is_target_tgid(cfg.tgid) || !cfg.hold_at_exit || go_entry_repeats(ctx))
		return 0;
	if (bpf_send_signal(ALLOC_SIGSTOP) == 0)
		__sync_fetch_and_add(&exit_holds, 1);
	return 0;
}

static __always_inline void count_stack(void *ctx, __u32 kind, __u32 spc)
{
	/* On this program's own stack: a cpu-clock sample can run while a uprobe program of the
	 * same CPU is interrupted (uprobes run without bpf_prog_active), so no per-CPU scratch. */
	struct alloc_site_key key = {};

	bpf_get_stack(ctx, key.frames, sizeof(key.frames), BPF_F_USER_STACK);
	key.kind = kind;
	key.spc = spc;
	count_key(&sites, &key, &lost_sites);
}

/* cpu-clock sample: counted by user stack when the target was on the CPU in user mode. */
SEC("perf_event")
int alloc_sample(struct bpf_perf_event_data *ctx)
{
	if (!is_target_tgid(cfg.tgid) || bpf_get_current_pid_tgid() >> 32 == 0)
		return 0;
	count_stack(ctx, ALLOC_SITE_SAMPLE, 0);
	return 0;
}

/*
 * runtime.(*mcache).refill(c *mcache, spc spanClass): the mcache's span of class spc is
 * full and it takes another (src/runtime/mcache.go, Go 1.19-1.27); spc is a uint8.
 */
SEC("uprobe")
int alloc_refill(struct pt_regs *ctx)
{
	if (!is_target_tgid(cfg.tgid) || go_entry_repeats(ctx))
		return 0;
	count_stack(ctx, ALLOC_SITE_REFILL, (__u32)(go_arg(ctx, 1) & 0xff));
	return 0;
}

/*
 * runtime.mallocgc(size uintptr, typ *_type, needzero bool) and, where the runtime has them,
 * the size-specialized functions of the same signature (mallocgcTinySC2,
 * mallocgcSmallNoScanSC2.., mallocgcSmallScanNoHeaderSC1..: Go 1.27 by default,
 * src/runtime/malloc_generated.go), which compiled code calls directly for a known small size
 * and which mallocgc itself calls, through mallocNoScanTable / mallocScanTable, for any
 * size below the tables' length (malloc.go). The cookie is that length on mallocgc (those
 * calls are counted where they land) and 0 elsewhere. typ is nil for untyped memory, which
 * has no pointers.
 */
SEC("uprobe")
int alloc_mallocgc(struct pt_regs *ctx)
{
	__u64 size, typ, ptrbytes = 0, key;

	if (!is_target_tgid(cfg.tgid) || go_entry_repeats(ctx))
		return 0;
	size = go_arg(ctx, 0);
	if (size != 0 && size < go_cookie(ctx))
		return 0;
	typ = go_arg(ctx, 1);
	if (typ)
		bpf_probe_read_user(&ptrbytes, sizeof(ptrbytes), (void *)(typ + cfg.type_ptrbytes));
	key = size << 1 | (ptrbytes == 0 ? 1 : 0);
	__sync_fetch_and_add(&mallocgc_calls, 1);
	count_key(&sizes, &key, &lost_sizes);
	return 0;
}
