// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Self-tests of the probe machinery on gri itself; see selftest.h. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "go.bpf.h"
#include "events.bpf.h"
#include "selftest.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile struct selftest_config cfg = {};

struct selftest_counts counts = {};

/* Thread ids the tracepoint filter kept, with how often: user space checks each one
 * against /proc/self/task, an oracle independent of task->tgid. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u64);
} kept_tids SEC(".maps");

/* Tiny on purpose; user space sets the size before load. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} ringbuf SEC(".maps");

/* One perf event per CPU each; max_entries 0: libbpf sizes them to the possible CPUs. */
struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
} hw_cycles SEC(".maps"), hw_instructions SEC(".maps"), hw_cache_misses SEC(".maps");

struct stack_buf {
	__u64 ip[SELFTEST_STACK_FRAMES];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stack_buf);
} stack_scratch SEC(".maps");

static __always_inline void add(__u64 *counter)
{
	__sync_fetch_and_add(counter, 1);
}

/* The bystander: cfg.other_tgid 0 means none (not "any", as for the target). */
static __always_inline bool is_other(const struct task_struct *task)
{
	return cfg.other_tgid != 0 && task_tgid(task) == cfg.other_tgid;
}

static __always_inline void keep_tid(__u32 tid)
{
	__u64 one = 1, *n = bpf_map_lookup_elem(&kept_tids, &tid);

	if (n)
		add(n);
	else
		bpf_map_update_elem(&kept_tids, &tid, &one, BPF_NOEXIST);
}

/* --- uprobe ------------------------------------------------------------------- */

SEC("uprobe")
int selftest_hit(struct pt_regs *ctx)
{
	if (is_target_tgid(cfg.tgid))
		add(&counts.uprobe_hits);
	return 0;
}

/* --- tracepoints ---------------------------------------------------------------- */

SEC("tp_btf/sched_switch")
int BPF_PROG(selftest_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	int sides = switch_target_sides(prev, next, cfg.tgid);

	if ((__u64)prev != bpf_get_current_task())
		add(&counts.switch_prev_not_current);
	if (is_other(prev) || is_other(next))
		add(&counts.switch_other);
	if (sides & SWITCH_OUT) {
		add(&counts.switch_out);
		keep_tid(BPF_CORE_READ(prev, pid));
	}
	if (sides & SWITCH_IN) {
		add(&counts.switch_in);
		keep_tid(BPF_CORE_READ(next, pid));
	}
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(selftest_wakeup, struct task_struct *p)
{
	if (task_in_target(p, cfg.tgid)) {
		add(&counts.wakeup);
		keep_tid(BPF_CORE_READ(p, pid));
	}
	if (is_other(p))
		add(&counts.wakeup_other);
	return 0;
}

SEC("tp_btf/signal_generate")
int BPF_PROG(selftest_signal, int sig, struct kernel_siginfo *info, struct task_struct *task)
{
	if (sig != (int)cfg.signal)
		return 0;
	if (task_in_target(task, cfg.tgid))
		add(&counts.signal);
	if (is_other(task))
		add(&counts.signal_other);
	if (current_in_target(cfg.tgid))
		add(&counts.signal_sent);
	return 0;
}

/* The classic tracepoint (attached through tracefs): only prev can be filtered, by
 * current, and that rests on prev == current, which this counts. */
SEC("tracepoint/sched/sched_switch")
int selftest_switch_classic(struct trace_event_raw_sched_switch *ctx)
{
	if ((__u32)bpf_get_current_pid_tgid() != (__u32)ctx->prev_pid)
		add(&counts.classic_prev_not_current);
	if (current_in_target(cfg.tgid))
		add(&counts.classic_switch_out);
	return 0;
}

/* --- perf sampling --------------------------------------------------------------- */

SEC("perf_event")
int selftest_sample(struct bpf_perf_event_data *ctx)
{
	__u32 zero = 0;
	struct stack_buf *buf;
	long frames;

	/* The sample interrupts the task it is about: current is right here. */
	if (!current_in_target(cfg.tgid)) {
		add(&counts.samples_other);
		return 0;
	}
	add(&counts.samples);
	buf = bpf_map_lookup_elem(&stack_scratch, &zero);
	if (!buf)
		return 0;
	frames = user_stack_frames(ctx, buf->ip, SELFTEST_STACK_FRAMES);
	if (frames > 0) {
		add(&counts.samples_user_stack);
		__sync_fetch_and_add(&counts.user_frames, frames);
	}
	return 0;
}

/* --- ring buffer ----------------------------------------------------------------- */

/* One hit outputs cfg.ringbuf_events records without anyone consuming. */
SEC("uprobe")
int selftest_ringbuf_burst(struct pt_regs *ctx)
{
	struct selftest_record rec;
	__u32 i;

	if (!is_target_tgid(cfg.tgid))
		return 0;
	__builtin_memset(&rec, 0xab, sizeof(rec));
	for (i = 0; i < SELFTEST_RINGBUF_MAX && i < cfg.ringbuf_events; i++) {
		rec.seq = i;
		if (events_output(&ringbuf, &rec, sizeof(rec), &counts.ringbuf_lost) == 0)
			add(&counts.ringbuf_reserved);
	}
	return 0;
}

/* --- hardware counters ------------------------------------------------------------ */

static __always_inline void hw_read(void *map, struct selftest_hw_reading *out)
{
	struct bpf_perf_event_value v = {};
	long err = perf_counter_read(map, &v);

	out->err = err;
	out->counter = v.counter;
	out->enabled = v.enabled;
	out->running = v.running;
}

SEC("uprobe")
int selftest_hw_read(struct pt_regs *ctx)
{
	if (!is_target_tgid(cfg.tgid))
		return 0;
	hw_read(&hw_cycles, &counts.hw[SELFTEST_HW_CYCLES]);
	hw_read(&hw_instructions, &counts.hw[SELFTEST_HW_INSTRUCTIONS]);
	hw_read(&hw_cache_misses, &counts.hw[SELFTEST_HW_CACHE_MISSES]);
	add(&counts.hw_reads);
	return 0;
}
