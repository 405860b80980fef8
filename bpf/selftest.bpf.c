// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Self-test uprobe: counts hits on one function of the calling process. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "go.bpf.h"
#include "selftest.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile struct selftest_config cfg = {};

__u64 hits = 0;

SEC("uprobe")
int selftest_hit(struct pt_regs *ctx)
{
	if (is_target_tgid(cfg.tgid))
		__sync_fetch_and_add(&hits, 1);
	return 0;
}
