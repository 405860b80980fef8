/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Go ABI helpers for BPF programs probing Go functions.
 *
 * ABIInternal (Go >= 1.17 amd64, >= 1.18 arm64) passes integer arguments in
 * RAX, RBX, RCX, RDI, RSI, R8, R9, R10, R11 on amd64 and R0-R15 on arm64 (Go
 * src/cmd/compile/abi-internal.md). The current g is in R14 (amd64) / R28 (arm64)
 * at function entry. Entry probes attach after the stack-check prologue or on its JBE
 * (below), which only clobber R12 (amd64), so these registers still hold the arguments there.
 */
#ifndef GRI_GO_BPF_H
#define GRI_GO_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "go_offsets.h"

#if defined(__TARGET_ARCH_x86)
static __always_inline __u64 go_arg(const struct pt_regs *ctx, int i)
{
	switch (i) {
	case 0: return ctx->ax;
	case 1: return ctx->bx;
	case 2: return ctx->cx;
	case 3: return ctx->di;
	case 4: return ctx->si;
	case 5: return ctx->r8;
	case 6: return ctx->r9;
	case 7: return ctx->r10;
	case 8: return ctx->r11;
	}
	return 0;
}

static __always_inline __u64 go_g(const struct pt_regs *ctx)
{
	return ctx->r14;
}
#elif defined(__TARGET_ARCH_arm64)
static __always_inline __u64 go_arg(const struct pt_regs *ctx, int i)
{
	return i >= 0 && i < 16 ? ctx->regs[i] : 0;
}

static __always_inline __u64 go_g(const struct pt_regs *ctx)
{
	return ctx->regs[28];
}
#else
#error "gri traces Go on x86-64 and arm64 only"
#endif

/*
 * Entry probes of Go 1.19-1.20 functions sit on the stack check's JBE (CMPQ SP, 16(R14);
 * JBE morestack), which x86-64 uprobes emulate, instead of on the SUBQ $n, SP after it, which
 * they single-step (user/probe/go_uprobe.h). The JBE runs again after morestack has grown the
 * stack and restarted the function: a hit whose jump is taken (CF or ZF set) is not a call.
 * The probe's cookie has bit 63 set there; its other bits are what the loader passed.
 */
#define GO_COOKIE_ON_CHECK_JUMP (1ULL << 63)
#define GO_EFLAGS_CF 0x1
#define GO_EFLAGS_ZF 0x40

static __always_inline __u64 go_cookie(struct pt_regs *ctx)
{
	return bpf_get_attach_cookie(ctx) & ~GO_COOKIE_ON_CHECK_JUMP;
}

/* True for the hit of an entry probe that is not a call (see above): skip it. */
static __always_inline bool go_entry_repeats(struct pt_regs *ctx)
{
#if defined(__TARGET_ARCH_x86)
	if (!(bpf_get_attach_cookie(ctx) & GO_COOKIE_ON_CHECK_JUMP))
		return false;
	return (ctx->flags & (GO_EFLAGS_CF | GO_EFLAGS_ZF)) != 0;
#else
	return false;
#endif
}

/* A word of the target's memory, 0 when it cannot be read. */
static __always_inline __u64 read_u64(__u64 addr)
{
	__u64 v = 0;

	bpf_probe_read_user(&v, sizeof(v), (void *)addr);
	return v;
}

static __always_inline __u32 read_u32(__u64 addr)
{
	__u32 v = 0;

	bpf_probe_read_user(&v, sizeof(v), (void *)addr);
	return v;
}

static __always_inline __u16 read_u16(__u64 addr)
{
	__u16 v = 0;

	bpf_probe_read_user(&v, sizeof(v), (void *)addr);
	return v;
}

static __always_inline __u8 read_u8(__u64 addr)
{
	__u8 v = 0;

	bpf_probe_read_user(&v, sizeof(v), (void *)addr);
	return v;
}

/* The goroutine ID of g (0 for a g0 or when unreadable). */
static __always_inline __u64 go_goid(__u64 g, const volatile struct go_offsets *o)
{
	__u64 id = 0;

	bpf_probe_read_user(&id, sizeof(id), (void *)(g + o->g_goid));
	return id;
}

/* The P that g's M holds (g.m.p; on g0 too), or 0 when it holds none. */
static __always_inline __u64 go_p(__u64 g, const volatile struct go_offsets *o)
{
	__u64 m = 0, p = 0;

	if (bpf_probe_read_user(&m, sizeof(m), (void *)(g + o->g_m)) || !m)
		return 0;
	if (bpf_probe_read_user(&p, sizeof(p), (void *)(m + o->m_p)))
		return 0;
	return p;
}

/* The id of the P that g's M holds (g.m.p.id; on g0 too), or -1 when it holds none. */
static __always_inline __s32 go_p_id(__u64 g, const volatile struct go_offsets *o)
{
	__u64 p = go_p(g, o);
	__s32 id = -1;

	if (!p || bpf_probe_read_user(&id, sizeof(id), (void *)(p + o->p_id)))
		return -1;
	return id;
}

/* True when the current task belongs to the traced process (tgid 0: any process). */
static __always_inline bool is_target_tgid(__u32 tgid)
{
	return tgid == 0 || (bpf_get_current_pid_tgid() >> 32) == tgid;
}

#endif /* GRI_GO_BPF_H */
