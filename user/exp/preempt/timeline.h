// EXP-02's timeline (--perfetto): every SIGURG queued for a thread of the target and every
// async preemption taken (runtime.asyncPreempt2), from the BPF ring `timeline`
// (bpf/preempt.h), as instants on the threads' tracks; a flow joins a SIGURG to the async
// preemption it caused: the next asyncPreempt2 on the receiving thread (the pairing the BPF
// side times latency_us with).
#pragma once

#include <cstdint>
#include <vector>

#include "report/report.h"
#include "report/timeline.h"

namespace gri::exp::preempt {

struct PreemptEvent {
  enum class Kind : uint32_t { kSigurg = 1, kAsync = 2 };  // enum preempt_event_kind
  uint64_t ktime_ns = 0;
  Kind kind = Kind::kSigurg;
  uint32_t tid = 0;   // the receiving thread; the preempted thread
  uint32_t peer = 0;  // SIGURG: the sending thread
  int32_t p = -1;     // async preemption: the P's id, -1 unknown
};

// What the ring delivered, in ring order, and the records that did not fit.
struct PreemptEvents {
  std::vector<PreemptEvent> events;
  uint64_t lost = 0;
  bool recorded = false;  // the ring was attached
};

// Adds the events to `t`: a track per thread that sent or received SIGURG or was
// preempted. Returns the number of flows (signals followed by their preemption).
uint64_t add_timeline(const PreemptEvents& e, report::Timeline& t);

// add_timeline on r.timeline, with the counts in r.data["timeline"], the lost records in
// r.lost_events and, when there are any, a note.
void report_timeline(const PreemptEvents& e, report::Report& r);

}  // namespace gri::exp::preempt
