#include "exp/registry.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "exp/alloc/lab.h"
#include "exp/figures.h"
#include "exp/gc/lab.h"
#include "exp/maps/lab.h"
#include "exp/preempt/lab.h"
#include "exp/sched/lab.h"
#include "exp/steal/lab.h"
#include "exp/timers/lab.h"
#include "exp/wb/lab.h"

namespace gri::exp {

namespace {

constexpr std::array<Experiment, 8> kExperiments = {{
    {"EXP-01", "sched", "load balance across Ps; CPU-saturated or lock-contended?", 5,
     sched::lab_sched, "", sched::figures, 3},
    {"EXP-02", "preempt", "are tight loops cut by async preemption, and how fast?", 5,
     preempt::lab_preempt, "", preempt::figures, 2},
    {"EXP-03", "steal", "who steals work from whom?", 5, steal::lab_steal, "", steal::figures, 2},
    {"EXP-04", "alloc", "tiny, small and large allocations; does escape analysis agree?", 7,
     alloc::lab_alloc, "", alloc::figures, 2},
    {"EXP-05", "gc", "every GC cycle; does GOMEMLIMIT prevent the OOM GOGC alone does not?", 6,
     gc::lab_gc, "", gc::figures, 2},
    {"EXP-06", "wb", "when is the write barrier on, and what does it buffer and shade?", 6,
     wb::lab_wb, "", wb::figures, 2},
    {"EXP-07", "maps", "swiss map vs bucket map on the same workload", 13, maps::lab_maps,
     "gri maps: growths, CPU in map code, --watch; the lab's A/B with simulated caches", maps::figures, 1},
    {"EXP-08", "timers", "per-P timer heaps, where timers run, lock contention", 14,
     timers::lab_timers, "gri timers: ops, run matrix, lateness, heaps, netpoll, --locks", timers::figures, 1},
}};

bool iequal(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](char x, char y) { return std::tolower(x) == std::tolower(y); });
}

}  // namespace

std::span<const Experiment> experiments() { return kExperiments; }

const Experiment* find_experiment(std::string_view name) {
  for (const Experiment& e : kExperiments) {
    if (iequal(e.id, name) || e.command == name) return &e;
  }
  return nullptr;
}

}  // namespace gri::exp
