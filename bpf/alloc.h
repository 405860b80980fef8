/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Allocator experiment (EXP-04): data shared by bpf/alloc.bpf.c and user/exp/alloc.
 * Plain C only: fixed-width types, no pointers, explicit padding.
 */
#ifndef GRI_BPF_ALLOC_H
#define GRI_BPF_ALLOC_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* SIGSTOP on x86-64 and arm64 (asm-generic/signal.h, arch/x86/include/uapi/asm/signal.h). */
#define ALLOC_SIGSTOP 19

/*
 * Frames kept per user stack, innermost first. The key holds the stack itself (no
 * BPF_MAP_TYPE_STACK_TRACE: bpf_get_stackid's hash buckets drop a second stack that lands in
 * an occupied bucket, -EEXIST, and a few samples a run were lost that way), so it must fit on
 * the BPF stack with room to spare: 48 frames, 392 bytes. An allocation site is the innermost
 * program frame, far inside 48.
 */
#define ALLOC_STACK_FRAMES 48

/* What a stack count stands for. */
enum alloc_site_kind {
	ALLOC_SITE_SAMPLE = 0,	/* a cpu-clock sample of the target (user stack) */
	ALLOC_SITE_REFILL = 1,	/* a runtime.(*mcache).refill entry: one span of class spc */
};

struct alloc_site_key {
	__u32 kind;		/* enum alloc_site_kind */
	__u32 spc;		/* span class (refill): sizeclass << 1 | noscan */
	__u64 frames[ALLOC_STACK_FRAMES]; /* user stack, zero after its last frame (all zero: none) */
};

struct alloc_config {
	__u32 tgid;		/* process to follow; 0: every process of the binary */
	__u32 hold_at_exit;	/* 1: stop the process (SIGSTOP) when it enters runtime.exit */
	__u32 type_ptrbytes;	/* offset of _type.ptrdata / abi.Type.PtrBytes (--exact) */
	__u32 pad;
};

#endif /* GRI_BPF_ALLOC_H */
