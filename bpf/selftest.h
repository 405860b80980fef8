/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Self-test: a uprobe on a function of gri itself, to prove that this machine loads
 * BPF programs and fires uprobes (gri doctor), and to time one uprobe hit.
 */
#ifndef GRI_BPF_SELFTEST_H
#define GRI_BPF_SELFTEST_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

struct selftest_config {
	__u32 tgid;	/* only hits from this process count */
	__u32 pad;
};

#endif /* GRI_BPF_SELFTEST_H */
