#include "exp/preempt/probes.h"

#include <bpf/libbpf.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>
#include <stop_token>
#include <thread>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "goelf/runtime_layout.h"
#include "bpf/preempt.h"
#include "preempt.skel.h"
#include "probe/go_offsets.h"
#include "probe/go_uprobe.h"
#include "probe/kernel_events.h"
#include "probe/maps.h"
#include "probe/owned.h"

namespace gri::exp::preempt {

namespace {

constexpr std::string_view kPreemptOne = "runtime.preemptone";
constexpr std::string_view kAsyncPreempt2 = "runtime.asyncPreempt2";

// The offsets the slice timing reads; a reason when one is missing.
Result<preempt_offsets> slice_offsets(const goelf::RuntimeLayout& layout, const go_offsets& go,
                                      std::string_view go_version) {
  preempt_offsets o{};
  o.go = go;
  std::vector<std::string> missing;
  const std::pair<const char*, __u32*> keys[] = {
      {"p.schedtick", &o.p_schedtick},
      {"p.sysmontick.schedtick", &o.p_sysmon_schedtick},
      {"p.sysmontick.schedwhen", &o.p_sysmon_schedwhen},
  };
  for (const auto& [key, out] : keys) {
    if (auto f = layout.offset(key)) *out = static_cast<__u32>(*f); else missing.emplace_back(key);
  }
  if (!missing.empty()) {
    return make_error("no offset for {} in this binary ({})", fmt::join(missing, ", "), go_version);
  }
  return o;
}

static_assert(sizeof(preempt_event) == 24, "bpf/preempt.h: preempt_event is 24 bytes, no holes");
static_assert(PREEMPT_EV_SIGURG == static_cast<uint32_t>(PreemptEvent::Kind::kSigurg) &&
              PREEMPT_EV_ASYNC == static_cast<uint32_t>(PreemptEvent::Kind::kAsync));

int on_event(void* ctx, void* data, size_t size) {
  if (size < sizeof(preempt_event)) return 0;
  preempt_event e;
  std::memcpy(&e, data, sizeof(e));
  static_cast<std::vector<PreemptEvent>*>(ctx)->push_back(
      {e.ktime_ns, static_cast<PreemptEvent::Kind>(e.kind), e.tid, e.peer, e.p});
  return 0;
}

}  // namespace

struct PreemptProbes::State {
  probe::Owned<preempt_bpf, preempt_bpf__destroy> skel;
  std::vector<probe::Link> links;
  bool requests_probed = false, async_probed = false;
  bool requests_emulated = false, async_emulated = false;
  std::vector<report::Degraded> degraded;
  // The timeline (--perfetto). Declared last: its thread stops before the skeleton goes.
  std::vector<PreemptEvent> events;
  std::unique_ptr<probe::PolledRing> ring;
};

PreemptProbes::PreemptProbes(std::unique_ptr<State> state) : state_(std::move(state)) {}
PreemptProbes::~PreemptProbes() = default;

Result<std::unique_ptr<PreemptProbes>> PreemptProbes::attach(const goelf::GoBinary& bin, pid_t pid) {
  if (pid <= 0) return make_error("gri preempt traces one process: no PID given");
  auto state = std::make_unique<State>();
  state->skel.reset(preempt_bpf__open());
  if (!state->skel) return make_error("cannot open the preempt BPF object: {}", strerror(errno));
  preempt_config& cfg = state->skel->rodata->cfg;
  cfg = {};
  cfg.tgid = static_cast<__u32>(pid);
  const std::string& version = bin.build().go_version;
  goelf::RuntimeLayout layout = goelf::resolve_layout(bin);
  auto go = probe::resolve_go_offsets(layout, version);
  if (go) {
    cfg.go_ok = 1;
    cfg.off.go = *go;
  } else {
    state->degraded.push_back({"preempt_requests.by_caller", go.error().message});
  }
  auto slices = go ? slice_offsets(layout, *go, version) : Result<preempt_offsets>(go.error());
  if (slices) {
    cfg.slices = 1;
    cfg.off = *slices;
  } else {
    state->degraded.push_back({"slice_ms", slices.error().message});
  }
  cfg.timeline = 1;
  bpf_map__set_max_entries(state->skel->maps.timeline, PREEMPT_TIMELINE_RING_BYTES);
  if (int err = preempt_bpf__load(state->skel.get()); err != 0) {
    return make_error("cannot load the preempt BPF programs: {} (run gri doctor)", strerror(-err));
  }

  preempt_bpf* skel = state->skel.get();
  for (auto [prog, name] : {std::pair{skel->progs.preempt_signal, "signal_generate"},
                            std::pair{skel->progs.preempt_deliver, "signal_deliver"}}) {
    auto link = probe::attach_tracepoint(prog, "signal", name);
    if (!link) return link.error();
    state->links.push_back(std::move(*link));
  }
  // A Go function missing from this version degrades what it counts; a failed attach of one
  // that exists is an error (it names the site and errno).
  struct Row {
    bpf_program* prog;
    std::string_view function;
    bool* probed;
    bool* emulated;
    const char* what;
  };
  const Row rows[] = {
      {skel->progs.preempt_request, kPreemptOne, &state->requests_probed,
       &state->requests_emulated, "preempt_requests"},
      {skel->progs.preempt_async, kAsyncPreempt2, &state->async_probed, &state->async_emulated,
       "async_preemptions"},
  };
  for (const Row& row : rows) {
    auto point = probe::resolve_probe_point(bin, row.function);
    if (!point) {
      state->degraded.push_back({row.what, point.error().message});
      continue;
    }
    auto l = probe::attach_entry(row.prog, bin, row.function, *point, point->site(), pid);
    if (!l) return l.error();
    state->links.push_back(std::move(*l));
    *row.probed = true;
    *row.emulated = point->entry_emulated;
  }
  if (!state->async_probed) {
    state->degraded.push_back({"latency_us", "needs runtime.asyncPreempt2"});
    if (slices) state->degraded.push_back({"slice_ms", "needs runtime.asyncPreempt2"});
  }
  auto ring = probe::PolledRing::open(skel->maps.timeline, on_event, &state->events);
  if (!ring) return ring.error();
  state->ring = std::move(*ring);
  return std::unique_ptr<PreemptProbes>(new PreemptProbes(std::move(state)));
}

Result<PreemptCounts> PreemptProbes::read() const {
  auto c = probe::sum_percpu_u64(state_->skel->maps.counters, PREEMPT_CTR_NR);
  if (!c) return c.error();
  auto h = probe::sum_percpu_u64(state_->skel->maps.hists, PREEMPT_HIST_NR * PREEMPT_HIST_SLOTS);
  if (!h) return h.error();
  const std::vector<uint64_t>& n = *c;
  PreemptCounts out;
  uint64_t requests = n[PREEMPT_CTR_REQ_SYSMON] + n[PREEMPT_CTR_REQ_OTHER] + n[PREEMPT_CTR_REQ_UNKNOWN];
  if (state_->requests_probed) out.requests = requests;
  out.requests_sysmon = n[PREEMPT_CTR_REQ_SYSMON];
  out.requests_other = n[PREEMPT_CTR_REQ_OTHER];
  out.requests_unknown = n[PREEMPT_CTR_REQ_UNKNOWN];
  out.sigurg = n[PREEMPT_CTR_SIGURG];
  out.sigurg_merged = n[PREEMPT_CTR_SIGURG_PENDING];
  if (state_->async_probed) out.async = n[PREEMPT_CTR_ASYNC];
  out.async_sysmon = n[PREEMPT_CTR_ASYNC_SYSMON];
  out.latency_known = n[PREEMPT_CTR_LATENCY];
  out.slice_exact = n[PREEMPT_CTR_SLICE_PREV];
  out.slice_lower_bound = n[PREEMPT_CTR_SLICE_SYSMON];
  out.slice_unknown = n[PREEMPT_CTR_SLICE_UNKNOWN];
  auto hist = [&](int which) {
    auto first = h->begin() + which * PREEMPT_HIST_SLOTS;
    return std::vector<uint64_t>(first, first + PREEMPT_HIST_SLOTS);
  };
  out.latency_slots = hist(PREEMPT_HIST_LATENCY);
  out.slice_slots = hist(PREEMPT_HIST_SLICE);
  out.delivery_slots = hist(PREEMPT_HIST_DELIVERY);
  out.handler_slots = hist(PREEMPT_HIST_HANDLER);
  out.degraded = state_->degraded;
  // What is left in the ring; the records that found it full are counted as lost.
  if (auto done = state_->ring->finish(); !done) {
    return make_error("the preemption timeline: {}", done.error().message);
  }
  out.timeline.events = state_->events;
  out.timeline.lost = __atomic_load_n(&state_->skel->bss->lost_timeline, __ATOMIC_RELAXED);
  out.timeline.recorded = true;
  (state_->requests_emulated ? out.emulated_hits : out.stepped_hits) += requests;
  (state_->async_emulated ? out.emulated_hits : out.stepped_hits) += n[PREEMPT_CTR_ASYNC];
  return out;
}

}  // namespace gri::exp::preempt
