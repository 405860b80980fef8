#include "exp/preempt/experiment.h"

#include <algorithm>

#include <fmt/format.h>

#include "exp/preempt/histogram.h"
#include "exp/preempt/probes.h"
#include "exp/preempt/timeline.h"

namespace gri::exp::preempt {

namespace {

// The slice lengths the verdict accepts: sysmon preempts a slice that it has seen running
// for forcePreemptNS (10 ms) and looks at most every 10 ms (sysmon's delay, src/runtime/proc.go
// Go 1.19-1.27), so a slice runs 10-20 ms; 5 ms more for a sysmon woken late on a busy machine.
constexpr double kSliceMinMs = 10;
constexpr double kSliceMaxMs = 25;
// A signal to a running thread is delivered within microseconds (an IPI, then the return to
// user mode); a median wait of a millisecond means the thread was waiting for a CPU.
constexpr double kBusyDeliveryUs = 1000;

std::string fixed(const std::optional<double>& v, double unit, int decimals) {
  return v ? fmt::format("{:.{}f}", *v / unit, decimals) : std::string("-");
}

// One row per bucket with samples: the range, the count, its share and a bar.
report::Table hist_table(const std::string& title, const Summary& s, double unit_us,
                         const char* unit) {
  report::Table t{fmt::format("{} ({} samples)", title, s.count), {unit, "count", "%", ""}, {}};
  uint64_t most = 0;
  for (const Bucket& b : s.buckets) most = std::max(most, b.count);
  for (const Bucket& b : s.buckets) {
    std::string range =
        b.hi_us == UINT64_MAX
            ? fmt::format(">= {:g}", static_cast<double>(b.lo_us) / unit_us)
            : fmt::format("{:g} - {:g}", static_cast<double>(b.lo_us) / unit_us,
                          static_cast<double>(b.hi_us) / unit_us);
    size_t bar = most ? static_cast<size_t>(40 * b.count / most) : 0;
    t.rows.push_back({range, std::to_string(b.count),
                      fmt::format("{:.1f}", 100.0 * static_cast<double>(b.count) / static_cast<double>(s.count)),
                      std::string(std::max<size_t>(bar, 1), '#')});
  }
  return t;
}

report::Verdict verdict(const PreemptCounts& c, const Summary& latency, const Summary& delivery,
                        const Summary& slice) {
  report::Verdict v{"EXP-02.async", "tight loops are cut by SIGURG every 10-20 ms", "inconclusive", ""};
  if (!c.async) {
    v.evidence = "runtime.asyncPreempt2 is not probed: see degraded";
    return v;
  }
  std::string requests = c.requests ? fmt::format("{} preemption requests ({} from sysmon)",
                                                  *c.requests, c.requests_sysmon)
                                    : std::string("preemption requests not probed");
  bool slices_probed = std::none_of(c.degraded.begin(), c.degraded.end(),
                                    [](const report::Degraded& d) { return d.point == "slice_ms"; });
  if (*c.async > 0 && c.async_sysmon == 0 && slices_probed) {
    v.evidence = fmt::format("{}, {} SIGURG, {} async preemptions, none of a slice sysmon asked "
                             "to cut: no goroutine ran 10 ms without yielding while traced (the others cut "
                             "goroutines for GC or to stop the world)",
                             requests, c.sigurg, *c.async);
    return v;
  }
  if (*c.async == 0) {
    if (c.requests && c.requests_sysmon > 0) {
      v.result = "refuted";
      v.evidence = fmt::format(
          "{}, {} SIGURG, no async preemption{}", requests, c.sigurg,
          c.sigurg == 0 ? ": sysmon marked the goroutines but sent no signal (GODEBUG="
                          "asyncpreemptoff=1?)"
                        : ": every signal landed outside an async safe point, or the goroutine "
                          "had yielded already");
    } else {
      v.evidence = fmt::format("{}, {} SIGURG, no async preemption: no goroutine ran 10 ms "
                               "without yielding while traced",
                               requests, c.sigurg);
    }
    return v;
  }
  std::string figures = fmt::format(
      "{}, {} SIGURG, {} async preemptions ({} of slices sysmon asked to cut); slices p50 {} ms, p99 {} ms ({} timed, {} of them "
      "exactly); signal to preemption p50 {} us, p99 {} us",
      requests, c.sigurg, *c.async, c.async_sysmon, fixed(slice.p50_us, 1000, 1), fixed(slice.p99_us, 1000, 1),
      slice.count, c.slice_exact, fixed(latency.p50_us, 1, 0), fixed(latency.p99_us, 1, 0));
  v.evidence = figures;
  if (!slice.p50_us) {
    v.evidence += ": no slice lengths (see degraded)";
    return v;
  }
  // Slices are wall-clock time (sysmon's nanotime). When the target's threads wait for a CPU
  // before they even receive their signal, the machine's load stretches them, not the runtime.
  if (delivery.p50_us && *delivery.p50_us > kBusyDeliveryUs) {
    v.evidence += fmt::format("; but signals waited p50 {} us for their thread to get a CPU: "
                              "the machine is overloaded, slices measure its load",
                              fixed(delivery.p50_us, 1, 0));
    return v;
  }
  double p50_ms = *slice.p50_us / 1000;
  v.result = p50_ms >= kSliceMinMs && p50_ms <= kSliceMaxMs ? "verified" : "refuted";
  return v;
}

}  // namespace

Result<report::Report> run_preempt(const PreemptOptions& o,
                                   const std::function<void(const std::string&)>& progress) {
  auto traced = session::open_traced("preempt", o);
  if (!traced) return traced.error();
  probe::Target& t = *traced->target;
  auto probes = PreemptProbes::attach(traced->bin, t.pid());
  if (!probes) return probes.error();
  if (!t.alive()) return make_error("PID {} exited during attach", t.pid());
  progress(fmt::format("tracing the preemptions of PID {} ({}); {}", t.pid(),
                       traced->bin.build().go_version,
                       session::how_it_stops(o)));
  auto session = session::run_session(t, o.duration_s);
  if (!session) return session.error();
  auto counts = (*probes)->read();
  if (!counts) return counts.error();
  probes->reset();  // detach: the target runs unprobed from here
  session::end_session(*traced, *session);

  const PreemptCounts& c = *counts;
  report::Report r = session::begin_report("EXP-02", *traced, *session);
  r.degraded.insert(r.degraded.end(), c.degraded.begin(), c.degraded.end());
  // Kernel tracepoint hits cost far less than a uprobe's trap: only the uprobes are counted.
  r.overhead = session::overhead(traced->cost, c.emulated_hits, c.stepped_hits);
  Summary latency = summarize(c.latency_slots);
  Summary slice = summarize(c.slice_slots);

  auto optional = [](const std::optional<uint64_t>& v) -> nlohmann::ordered_json {
    if (!v) return nullptr;
    return *v;
  };
  r.data["preempt_requests"] = optional(c.requests);
  r.data["preempt_requests_by_caller"] = {{"sysmon", c.requests_sysmon},
                                          {"with_p", c.requests_other},
                                          {"unknown", c.requests_unknown}};
  r.data["sigurg"] = c.sigurg;
  r.data["sigurg_merged"] = c.sigurg_merged;
  r.data["async_preemptions"] = optional(c.async);
  r.data["async_preemptions_asked_by_sysmon"] = c.async_sysmon;
  r.data["latency_us"] = to_json(latency, 1);
  // The latency in two parts: the thread's wait for its signal (for a CPU, or for the kernel
  // to leave a system call), then the runtime's handler up to the injected call.
  Summary delivery = summarize(c.delivery_slots);
  Summary handler = summarize(c.handler_slots);
  r.data["latency_us"]["queued_to_delivered"] = to_json(delivery, 1);
  r.data["latency_us"]["delivered_to_preempted"] = to_json(handler, 1);
  nlohmann::ordered_json slice_json = to_json(slice, 1000);
  slice_json["exact"] = c.slice_exact;
  slice_json["lower_bound"] = c.slice_lower_bound;
  slice_json["unknown"] = c.slice_unknown;
  r.data["slice_ms"] = std::move(slice_json);
  report_timeline(c.timeline, r);  // --perfetto

  if (latency.count) {
    r.tables.push_back(hist_table("signal to preemption: SIGURG queued -> runtime.asyncPreempt2",
                                  latency, 1, "us"));
  }
  if (slice.count) {
    r.tables.push_back(hist_table("slices sysmon cut: how long the P's goroutine had run", slice,
                                  1000, "ms"));
  }
  r.notes.push_back(fmt::format(
      "preemption requests (runtime.preemptone): {} ({} from sysmon's retake, {} from a thread "
      "with a P: stop the world or GC)",
      c.requests ? std::to_string(*c.requests) : std::string("not probed"), c.requests_sysmon,
      c.requests_other));
  r.notes.push_back(fmt::format(
      "SIGURG for the target's threads: {} ({} merged with one pending); async preemptions "
      "(runtime.asyncPreempt2): {}",
      c.sigurg, c.sigurg_merged, c.async ? std::to_string(*c.async) : std::string("not probed")));
  if (slice.count) {
    r.notes.push_back(fmt::format(
        "slice lengths: {} from the P's previous async preemption (exact), {} from sysmon's "
        "schedwhen (a lower bound: sysmon first saw the slice up to 10 ms after it began)",
        c.slice_exact, c.slice_lower_bound));
  }
  if (latency.count) {
    r.notes.push_back(fmt::format(
        "signal to preemption p50 {} us, p99 {} us: waiting for delivery p50 {} us, p99 {} us "
        "(the thread's wait for a CPU); delivery to asyncPreempt2 p50 {} us, p99 {} us",
        fixed(latency.p50_us, 1, 0), fixed(latency.p99_us, 1, 0), fixed(delivery.p50_us, 1, 0),
        fixed(delivery.p99_us, 1, 0), fixed(handler.p50_us, 1, 0), fixed(handler.p99_us, 1, 0)));
  }
  r.verdicts.push_back(verdict(c, latency, delivery, slice));
  return r;
}

}  // namespace gri::exp::preempt
