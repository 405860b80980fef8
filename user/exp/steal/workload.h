// What go-probes/steal says it did (its last line), and the verdicts EXP-03 draws from
// comparing it with gri steal's report: shared by gri lab and the runtime tests.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "report/report.h"

namespace gri::exp::steal {

// Goroutines of go-probes/steal that its spawner does not create, on Go 1.19: main, and what
// the runtime starts before main.main (forcegchelper, bgsweep, bgscavenge, runfinq, ...;
// Go 1.19 src/runtime/proc.go main, mgc.go gcenable) counted with a margin.
constexpr uint64_t kRuntimeGoroutines = 8;

struct SpawnerRun {
  uint64_t created = 0;    // goroutines the spawner created
  uint64_t ran = 0;        // ... that ran to the end
  int gomaxprocs = 0;
  int spawner_p = 0;       // the P id the spawner spawned most of them on
  double spawner_share = 0;  // the fraction spawned there
  int64_t process_created = -1;  // every goroutine of the process (Go 1.26+), -1: unknown
};

// The most goroutines a run can have had stolen once each: process_created, or created plus
// kRuntimeGoroutines where the runtime does not count them.
uint64_t stealable(const SpawnerRun& run);

// From "steal-probe: created=N ran=N bursts=B gomaxprocs=P spawner_p=I spawner_share=S
// process_created=C ..."
// anywhere in `text`; nullopt when there is no such line.
std::optional<SpawnerRun> parse_spawner_run(std::string_view text);

// The goroutines stolen from the spawner's P (its column of data.steal_matrix) and in all.
struct SpawnerColumn {
  uint64_t from_spawner = 0;
  uint64_t total = 0;
};
SpawnerColumn spawner_column(const report::Report& r, int spawner_p);

// EXP-03.victim: at least 80% of the stolen goroutines came from the spawner's P, and no more
// were stolen than the process created (where the runtime counts them, Go 1.26+; else than
// the spawner created plus what it did not create but may have been stolen: the runtime's
// own goroutines and main, which go-probes/steal bounds by kRuntimeGoroutines). Inconclusive
// without steals (see the report's own verdicts).
report::Verdict spawner_verdict(const report::Report& r, const SpawnerRun& run);

}  // namespace gri::exp::steal
