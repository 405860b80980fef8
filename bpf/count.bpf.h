/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Counting in BPF hash maps, shared by the experiments that count by key. */
#ifndef GRI_COUNT_BPF_H
#define GRI_COUNT_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

/*
 * Adds 1 to the __u64 at key, making the entry when it is new. Two CPUs may make it at once:
 * the loser of BPF_NOEXIST adds to the winner's. A full map adds 1 to *lost instead.
 */
static __always_inline void count_key(void *map, const void *key, __u64 *lost)
{
	__u64 one = 1, *v = bpf_map_lookup_elem(map, key);

	if (v) {
		__sync_fetch_and_add(v, 1);
		return;
	}
	if (bpf_map_update_elem(map, key, &one, BPF_NOEXIST) != 0) {
		v = bpf_map_lookup_elem(map, key);
		if (v)
			__sync_fetch_and_add(v, 1);
		else
			__sync_fetch_and_add(lost, 1);
	}
}

#endif /* GRI_COUNT_BPF_H */
