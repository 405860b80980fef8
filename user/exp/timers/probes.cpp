#include "exp/timers/probes.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "goelf/runtime_layout.h"
#include "probe/go_offsets.h"
#include "probe/go_uprobe.h"
#include "probe/kernel_events.h"
#include "probe/owned.h"
#include "bpf/timers.h"
#include "timers.skel.h"

namespace gri::exp::timers {

const char* op_name(Op op) {
  switch (op) {
    case Op::kAdd: return "add";
    case Op::kModify: return "modify";
    case Op::kDelete: return "delete";
    case Op::kRun: return "run";
  }
  return "?";
}

Result<TimerFunctions> timer_functions(const goelf::GoBinary& bin) {
  // Go 1.19-1.22 runtime/time.go: addtimer, modtimer, deltimer, runOneTimer. Go 1.23+
  // (rewrite): (*timer).maybeAdd, modify, stop, unlockAndRun. Checked with go tool nm on
  // go1.19.8, 1.21.13, 1.22.12, 1.23.5, 1.24.4, 1.25.12, 1.26.8 and 1.27.3 builds.
  TimerFunctions old{false, "runtime.addtimer", "runtime.modtimer", "runtime.deltimer",
                     "runtime.runOneTimer"};
  TimerFunctions rewrite{true, "runtime.(*timer).maybeAdd", "runtime.(*timer).modify",
                         "runtime.(*timer).stop", "runtime.(*timer).unlockAndRun"};
  for (const TimerFunctions* f : {&rewrite, &old}) {
    if (bin.find_function(f->modify)) {
      for (const std::string* name : {&f->add, &f->remove, &f->run}) {
        if (!bin.find_function(*name)) {
          return make_error("{} is not in this binary ({}): inlined or renamed", *name,
                            bin.build().go_version);
        }
      }
      return *f;
    }
  }
  return make_error("neither {} nor {} is in this binary ({}): no timers linked in?",
                    old.modify, rewrite.modify, bin.build().go_version);
}

std::pair<uint64_t, uint64_t> late_bucket_range(uint32_t b) {
  if (b < 8) return {b, 1};
  uint32_t log = b / 8 + 2, sub = b % 8;
  uint64_t width = uint64_t{1} << (log - 3);
  return {(uint64_t{8} + sub) * width, width};
}

struct TimersProbes::State {
  probe::Owned<timers_bpf, timers_bpf__destroy> skel;
  std::vector<probe::Link> links;
  TimersAttach info;
};

TimersProbes::TimersProbes(std::unique_ptr<State> state) : state_(std::move(state)) {}
TimersProbes::~TimersProbes() = default;
const TimersAttach& TimersProbes::attach_info() const { return state_->info; }

Result<std::unique_ptr<TimersProbes>> TimersProbes::attach(const goelf::GoBinary& bin, pid_t pid,
                                                           bool ops, bool locks, bool netpoll) {
  auto state = std::make_unique<State>();
  TimersAttach& info = state->info;
  auto fns = timer_functions(bin);
  if (!fns) return fns.error();
  info.functions = *fns;

  goelf::RuntimeLayout layout = goelf::resolve_layout(bin);
  auto go = probe::resolve_go_offsets(layout, bin.build().go_version);
  if (!go) return go.error();
  timers_config cfg{};
  cfg.tgid = static_cast<__u32>(pid > 0 ? pid : 0);
  cfg.go = *go;
  std::vector<std::string> missing;
  auto field = [&](const char* key) -> __u32 {
    auto off = layout.offset(key);
    if (!off) missing.push_back(key);
    return off ? static_cast<__u32>(*off) : 0;
  };
  cfg.timer_when = field("timer.when");
  cfg.timer_f = field("timer.f");
  if (fns->rewrite) {
    cfg.timer_ts = field("timer.ts");
    cfg.p_timers = field("p.timers");
  }
  if (locks) {
    cfg.locks = 1;
    cfg.p_timers_lock = field("p.timers.lock");
    if (auto allp = layout.address("runtime.allp")) cfg.allp = *allp;
    else missing.push_back("runtime.allp");
  }
  if (!missing.empty()) {
    return make_error("the timer probes need {} (not in this binary's layout, {})",
                      fmt::format("{}", fmt::join(missing, ", ")), bin.build().go_version);
  }

  state->skel.reset(timers_bpf__open());
  if (!state->skel) return make_error("cannot open the timers BPF object: {}", strerror(errno));
  timers_bpf* skel = state->skel.get();
  skel->rodata->cfg = cfg;
  if (int err = timers_bpf__load(skel); err != 0) {
    return make_error("cannot load the timers BPF programs: {} (run gri doctor)", strerror(-err));
  }
  struct Row {
    bpf_program* prog;
    std::string function;
    uint64_t cookie;
  };
  const Row rows[] = {
      {skel->progs.timers_op, fns->add, TIMERS_ADD},
      {skel->progs.timers_op, fns->modify, TIMERS_MODIFY | TIMERS_F_ARG},
      {skel->progs.timers_op, fns->remove, TIMERS_DELETE},
      {skel->progs.timers_run, fns->run, fns->rewrite ? TIMERS_RUN_TS : TIMERS_RUN_PP},
      {skel->progs.timers_break, "runtime.netpollBreak", 0},
  };
  for (const Row& row : rows) {
    if (!ops && row.prog == skel->progs.timers_op) continue;  // runs and netpollBreak only
    auto point = probe::resolve_probe_point(bin, row.function);
    if (!point) return point.error();
    auto link = probe::attach_entry(row.prog, bin, row.function, *point, row.cookie, pid);
    if (!link) return link.error();
    state->links.push_back(std::move(*link));
    info.probe_sites++;
    info.entries_emulated = info.entries_emulated && point->entry_emulated;
    info.probed.push_back(fmt::format("{} (entry)", row.function));
  }
  if (locks) {
    constexpr std::string_view kLock2 = "runtime.lock2";
    auto point = probe::resolve_probe_point(bin, kLock2);
    if (!point) return point.error();
    auto link = probe::attach_entry(skel->progs.timers_lock, bin, kLock2, *point, point->site(), pid);
    if (!link) return link.error();
    state->links.push_back(std::move(*link));
    info.probe_sites++;
    info.locks = true;
    info.lock_emulated = point->entry_emulated;
    info.probed.push_back(fmt::format("{} (entry)", kLock2));
  }
  if (!netpoll) {
    info.netpoll_unavailable =
        "needs --netpoll (the raw syscall tracepoints, which every system call of every "
        "process then passes through: httpload ran 6.7% slower here)";
  }
  if (netpoll || locks) {
    for (auto [prog, name] : {std::pair{skel->progs.timers_sys_enter, "sys_enter"},
                              std::pair{skel->progs.timers_sys_exit, "sys_exit"}}) {
      auto link = probe::attach_tracepoint(prog, "raw_syscalls", name);
      if (!link) {
        std::string why = fmt::format("raw_syscalls:{}: {}", name, link.error().message);
        if (locks) return make_error("--locks: {}", why);
        info.netpoll_unavailable = why;
        break;
      }
      state->links.push_back(std::move(*link));
    }
    info.syscalls = true;
  }
  return std::unique_ptr<TimersProbes>(new TimersProbes(std::move(state)));
}

namespace {

template <typename K, typename F>
void each(int fd, F&& f) {
  K key{}, next{};
  bool first = true;
  while (bpf_map_get_next_key(fd, first ? nullptr : &key, &next) == 0) {
    first = false;
    key = next;
    uint64_t v = 0;
    if (bpf_map_lookup_elem(fd, &key, &v) == 0) f(key, v);
  }
}

}  // namespace

Result<TimersCounts> TimersProbes::read() const {
  timers_bpf& skel = *state_->skel;
  TimersCounts c;
  each<timers_op_key>(bpf_map__fd(skel.maps.ops), [&](const timers_op_key& k, uint64_t v) {
    c.ops[{static_cast<int>(k.op), k.p, k.fpc}] += v;
  });
  each<timers_run_key>(bpf_map__fd(skel.maps.runs), [&](const timers_run_key& k, uint64_t v) {
    c.runs[{k.runner, k.owner, k.fpc}] += v;
    c.ops[{static_cast<int>(Op::kRun), k.runner, k.fpc}] += v;
  });
  each<timers_late_key>(bpf_map__fd(skel.maps.late), [&](const timers_late_key& k, uint64_t v) {
    c.late[{k.fpc, k.bucket}] += v;
  });
  each<uint64_t>(bpf_map__fd(skel.maps.breaks), [&](uint64_t k, uint64_t v) { c.breaks[k] += v; });
  auto ctr = [&](int i) { return __atomic_load_n(&skel.bss->counters[i], __ATOMIC_RELAXED); };
  c.polls = ctr(TIMERS_CTR_POLLS);
  c.poll_ns = ctr(TIMERS_CTR_POLL_NS);
  c.poll_timed_out = ctr(TIMERS_CTR_POLL_TIMED_OUT);
  c.poll_forever = ctr(TIMERS_CTR_POLL_FOREVER);
  c.nop = ctr(TIMERS_CTR_NOP);
  c.lock_hits = ctr(TIMERS_CTR_LOCK_HITS);
  c.lost = __atomic_load_n(&skel.bss->lost, __ATOMIC_RELAXED);
  if (state_->info.locks) {
    for (int32_t p = 0; p < TIMERS_MAX_P; p++) {
      const timers_lock_counts& l = skel.bss->lock_counts[p];
      LockCounts out{__atomic_load_n(&l.acquisitions, __ATOMIC_RELAXED),
                     __atomic_load_n(&l.waits, __ATOMIC_RELAXED),
                     __atomic_load_n(&l.sleeps, __ATOMIC_RELAXED),
                     __atomic_load_n(&l.sleep_ns, __ATOMIC_RELAXED)};
      if (out.acquisitions) c.locks[p] = out;
    }
  }
  return c;
}

}  // namespace gri::exp::timers
