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

#include "go_offsets.h"

/* runtime.gcphase: _GCoff = 0, _GCmark = 1, _GCmarktermination = 2 (iota, src/runtime/mgc.go,
 * Go 1.19-1.27). The write barrier is on in the last two. */
#define GC_PHASE_OFF 0

/* Indexes of the per-CPU counters map. */
enum gc_counter {
	GC_CTR_START = 0,	/* runtime.gcStart entries: every trigger, started or not */
	GC_CTR_START_FORCED,	/* ... whose trigger kind is gcTriggerCycle (runtime.GC) */
	GC_CTR_MARK_TERM,	/* runtime.gcMarkTermination entries: completed cycles */
	/* Hits of each probe, for the overhead estimate (what one costs depends on the site). */
	GC_CTR_HIT_ASSIST,	/* runtime.gcAssistAlloc */
	GC_CTR_HIT_START_WORLD,	/* runtime.startTheWorldWithSema: every STW's end, GC or not */
	GC_CTR_HIT_STOP_WORLD,	/* runtime.stopTheWorldWithSema: every STW's start */
	GC_CTR_HIT_FLUSH,	/* runtime.wbBufFlush1 */
	GC_CTR_HIT_GREY,	/* runtime.greyobject, runtime.tryDeferToSpanScan (--exact, --watch) */
	GC_CTR_HIT_SHADE,	/* runtime.shade (--exact, --watch) */
	GC_CTR_NR,
};

/*
 * Who reached a watched object first in a cycle (EXP-06 --watch). A P running a mark worker
 * has p.gcMarkWorkerMode != gcMarkWorkerNotWorker (0), set by findRunnableGCWorker and
 * cleared when the worker stops (src/runtime/mgc.go, Go 1.19-1.27); any other shading is a
 * mutator's: an assist (gcAssistAlloc -> gcDrainN) or its own stack scan.
 */
enum gc_watch_by {
	GC_WATCH_NONE = 0,
	GC_WATCH_WRITE_BARRIER,	/* it was in a P's write-barrier buffer when it was flushed */
	GC_WATCH_MARK_WORKER,	/* greyed by a background mark worker */
	GC_WATCH_MUTATOR,	/* greyed by a goroutine's assist or stack scan */
};

/*
 * runtime.gcTriggerKind: gcTriggerHeap = 0, gcTriggerTime = 1, gcTriggerCycle = 2,
 * declared with iota in src/runtime/mgc.go, unchanged from Go 1.19 to 1.27. DWARF does
 * not carry Go constants, so the value is stated here with its source.
 */
#define GC_TRIGGER_CYCLE 2

/*
 * What gcMarkTermination leaves behind for the cycle it ends, read when it starts the world
 * again: the fields gctrace prints from (Go 1.19-1.27 src/runtime/mgc.go: work.heap0/1/2 as
 * "A->B->C MB", gcController.lastHeapGoal as "goal", memstats.numgc as "gc N"). Globals
 * are link-time addresses; the load bias comes from the probe's own address (its cookie is
 * the probe site's link-time address).
 */
struct gc_offsets {
	__u64 work;		/* &runtime.work */
	__u64 gc_controller;	/* &runtime.gcController */
	__u64 memstats;		/* &runtime.memstats */
	__u32 work_heap0;
	__u32 work_heap1;
	__u32 work_heap2;
	__u32 work_user_forced;
	__u32 last_heap_goal;	/* gcControllerState.lastHeapGoal */
	__u32 gc_percent;	/* gcControllerState.gcPercent (int32) */
	__u32 memory_limit;	/* gcControllerState.memoryLimit (int64) */
	__u32 numgc;		/* mstats.numgc (uint32) */
	__u32 t_sweep_term;	/* workType.tSweepTerm, tMark, tMarkTerm, tEnd: nanotime() */
	__u32 t_mark;
	__u32 t_mark_term;
	__u32 t_end;
	__u32 assist_time;	/* gcControllerState.assistTime (int64 ns, reset per cycle) */
	__u32 wbbuf_next;	/* p.wbBuf.next, p.wbBuf.end, p.wbBuf.buf (EXP-06) */
	__u32 wbbuf_end;
	__u32 wbbuf_buf;
	__u64 gcphase;		/* &runtime.gcphase (uint32) */
	struct go_offsets go;	/* g.m, m.p, p.id (with --watch) */
	__u32 p_mark_worker_mode; /* p.gcMarkWorkerMode (int) */
	__u32 m_preemptoff;	/* m.preemptoff (string), go1.19's STW reason */
};

/*
 * A stop-the-world pause's reason. From Go 1.21 stopTheWorldWithSema(reason stwReason) takes
 * it as its argument (uint8; names in runtime.stwReasonStrings, src/runtime/proc.go); Go 1.19
 * takes none, and the reason is the m.preemptoff string stopTheWorld(reason string) set
 * (go1.19 proc.go:1089), "gcing" for mark termination (mgc.go:851) and empty for sweep
 * termination (gcStart stops the world without one, mgc.go:665).
 */
#define GC_STW_TEXT 28
#define GC_STW_NO_CODE 0xffffffffu
struct gc_stw_key {
	__u32 code;		/* the stwReason, or GC_STW_NO_CODE */
	char text[GC_STW_TEXT];	/* go1.19: m.preemptoff, NUL-padded */
};

struct gc_stw_value {
	__u64 count;
	__u64 total_ns;		/* stopTheWorldWithSema entry to startTheWorldWithSema entry */
	__u64 max_ns;
};

struct gc_config {
	__u32 tgid;		/* process to count; 0 counts every process of the binary */
	__u32 cycle_events;	/* 1 when off is complete: emit one gc_cycle_event per cycle */
	struct gc_offsets off;
	/* --watch: link-time address of a Go global (uintptr or pointer) that holds the
	 * address of the object to follow; 0 without --watch. */
	__u64 watch_global;
	__u32 stw_reason_arg;	/* 1: stopTheWorldWithSema's first argument is its stwReason */
	__u32 stw_preemptoff;	/* 1: read m.preemptoff instead (offset in off) */
};

struct gc_cycle_event {
	__u64 ktime_ns;
	__u64 heap0;		/* heap live when the cycle started */
	__u64 heap1;		/* heap live at mark termination */
	__u64 heap2;		/* heap marked */
	__u64 heap_goal;
	__s64 memory_limit;
	__u32 numgc;
	__s32 gc_percent;
	__u32 user_forced;
	__u32 trigger_kind;	/* of the latest runtime.gcStart call */
	__s64 t_sweep_term;	/* the phases' start times (nanotime), as gctrace's clock figures */
	__s64 t_mark;
	__s64 t_mark_term;
	__s64 t_end;
	__s64 assist_ns;	/* gcController.assistTime: mutator assist CPU time this cycle */
	__u64 assists;		/* runtime.gcAssistAlloc calls since the previous cycle event */
	__u64 wb_flushes;	/* runtime.wbBufFlush1 calls during mark since the previous event */
	__u64 wb_pointers;	/* pointers those flushes found in the P's buffer */
	__u64 grey_calls;	/* greyobject + tryDeferToSpanScan entries this cycle (--exact) */
	__u64 shade_calls;	/* runtime.shade entries this cycle (--exact) */
	__u64 watch_addr;	/* the watched object's address this cycle (0: none yet) */
	__u64 watch_ktime_ns;	/* when it was first reached this cycle (0: never) */
	__u64 watch_reaches;	/* times a flush or a marker reached it this cycle */
	__u32 watch_by;		/* enum gc_watch_by of the first reach */
	__s32 watch_p;		/* the P that reached it first (-1: unknown) */
};

#endif /* GRI_BPF_GC_H */
