/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * GC experiment (EXP-05): data shared by bpf/gc.bpf.c and user/exp/gc.
 * Plain C only: fixed-width types, no pointers, explicit padding.
 */
#ifndef GRI_BPF_GC_H
#define GRI_BPF_GC_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Indexes of the per-CPU counters map. */
enum gc_counter {
	GC_CTR_START = 0,	/* runtime.gcStart entries: every trigger, started or not */
	GC_CTR_START_FORCED,	/* ... whose trigger kind is gcTriggerCycle (runtime.GC) */
	GC_CTR_MARK_TERM,	/* runtime.gcMarkTermination entries: completed cycles */
	GC_CTR_NR,
};

/*
 * runtime.gcTriggerKind: gcTriggerHeap = 0, gcTriggerTime = 1, gcTriggerCycle = 2,
 * declared with iota in src/runtime/mgc.go, unchanged from Go 1.19 to 1.27. DWARF does
 * not carry Go constants, so the value is stated here with its source.
 */
#define GC_TRIGGER_CYCLE 2

struct gc_config {
	__u32 tgid;	/* process to count; 0 counts every process of the binary */
	__u32 pad;
};

#endif /* GRI_BPF_GC_H */
