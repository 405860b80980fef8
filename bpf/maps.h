/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Map experiment (EXP-07): data shared by bpf/maps.bpf.c and user/exp/maps.
 * Plain C only: fixed-width types, no pointers, explicit padding.
 */
#ifndef GRI_BPF_MAPS_H
#define GRI_BPF_MAPS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* The functions that grow a map, the probe cookie of each. */
enum maps_growth_kind {
	MAPS_GROW_HASHGROW = 0,	/* bucket map: runtime.hashGrow, doubling or same-size */
	MAPS_GROW_TO_SMALL,	/* swiss: (*Map).growToSmall, no storage -> one group of 8 */
	MAPS_GROW_TO_TABLE,	/* swiss: (*Map).growToTable, the small group -> a table */
	MAPS_GROW_TABLE,	/* swiss: (*table).grow, a table rehashed into a bigger one */
	MAPS_GROW_SPLIT,	/* swiss: (*table).split, a full table into two (directory) */
	MAPS_GROW_KINDS,
};

enum maps_counter {
	MAPS_CTR_ENTRIES = 0,	/* growth functions entered, all kinds */
	MAPS_CTR_EVENTS,	/* growth events sent */
	MAPS_CTR_NO_ENTRY,	/* a RET with no entry seen for its goroutine (attached mid-call) */
	MAPS_CTR_SAMPLES,	/* cpu-clock samples of the target's threads */
	MAPS_CTR_SAMPLES_DROPPED, /* ... not counted: the pc table was full */
	MAPS_CTR_NR,
};

/* --exact: the map functions counted, at most this many (user space numbers them). */
#define MAPS_OP_FUNCS 32
/* --exact: the sites inside lookup functions counted (user space numbers them). */
#define MAPS_SITES 128
/* --phase-mark: phases counted apart (0: before the first mark); later marks add to the last. */
#define MAPS_PHASES 16
#define MAPS_MARK_NAME 32

/* One call of the phase-mark function. */
struct maps_mark_event {
	__u64 ns;		/* bpf_ktime_get_ns() at the call */
	__u32 phase;		/* the phase it begins (1, 2, ...; may exceed MAPS_PHASES - 1) */
	__u32 name_len;		/* bytes of name read: its first argument as a Go string (0: none) */
	char name[MAPS_MARK_NAME];
};

struct maps_config {
	__u32 tgid;		/* process traced (root PID namespace) */
	/* runtime.hmap (bucket maps) */
	__u32 hmap_count;	/* int: entries */
	__u32 hmap_B;		/* uint8: log2 of the buckets */
	__u32 hmap_flags;	/* uint8: bit 8 sameSizeGrow */
	/* internal/runtime/maps.Map and table (swiss maps) */
	__u32 map_used;		/* uint64: entries */
	__u32 map_dirptr;	/* unsafe.Pointer: the small group, or the directory's *table array */
	__u32 table_used;	/* uint16 */
	__u32 table_capacity;	/* uint16: slots */
	__u32 pad;
	/* --exact --watch: count only the map the global at this link-time address holds (0:
	 * every map). A PIE's load bias is the probe's ip less its cookie's link-time address. */
	__u64 watch_var;
};

/* One growth, from the entry of its function to the RET it left by. */
struct maps_growth_event {
	__u64 map;		/* the map header's address */
	__u64 table;		/* swiss table grown or split (0: none) */
	__u64 entries;		/* the map's entries at the entry */
	__u64 start_ns;		/* bpf_ktime_get_ns() at the entry */
	__u64 end_ns;		/* ... at the RET */
	__u64 goid_g;		/* the g that grew it (address) */
	__u32 kind;		/* enum maps_growth_kind */
	__u32 cap_before;	/* slots before: 8 << B; 0, 8, or the table's capacity */
	__u32 cap_after;	/* slots after */
	__u32 table_entries;	/* the swiss table's used slots at the entry */
};

#endif
