/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Runtime struct offsets a BPF program needs, resolved per binary in user space (DWARF, or
 * the offsets table of the Go version): never typed into BPF code. Plain C, shared.
 */
#ifndef GRI_BPF_GO_OFFSETS_H
#define GRI_BPF_GO_OFFSETS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

struct go_offsets {
	__u32 g_goid;	/* runtime.g.goid */
	__u32 g_m;	/* runtime.g.m */
	__u32 m_p;	/* runtime.m.p */
	__u32 p_id;	/* runtime.p.id */
};

#endif /* GRI_BPF_GO_OFFSETS_H */
