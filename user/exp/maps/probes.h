// EXP-07's probes: every growth of a map (the functions that grow a bucket map or a swiss
// map, entry and RETs), and cpu-clock samples of the target's threads by pc.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "exp/maps/code.h"
#include "goelf/go_binary.h"
#include "probe/task_counters.h"

namespace gri::exp::maps {

// Which map the binary's runtime has: by its growth functions (runtime.hashGrow vs
// internal/runtime/maps.(*table).grow), GO-RUNTIME.md section 8.
enum class MapKind { kBuckets, kSwiss, kUnknown };
const char* kind_name(MapKind k);  // "buckets", "swiss", "unknown"
MapKind map_kind(const goelf::GoBinary& bin);

struct Growth {
  std::string kind;  // "double", "same-size" (buckets); "to-small", "to-table", "grow", "split"
  uint64_t map = 0;  // the map header's address
  uint64_t table = 0;
  uint64_t entries = 0;        // the map's entries when it grew
  uint64_t table_entries = 0;  // swiss grow/split: the table's
  uint64_t cap_before = 0, cap_after = 0;  // slots
  double start_s = 0;  // since the first event's clock origin (the session)
  double us = 0;       // entry to RET
  bool timed = true;   // false: growToSmall, probed at its entry alone (us is 0)
};

struct MapsProbeOptions {
  bool growth = true;       // growths; a swiss map's growToSmall with exact only
  uint64_t sample_hz = 0;  // cpu-clock samples per second per CPU (0: none)
  bool exact = false;      // an entry probe on every map function (code.h kMapFunctions)
  uint64_t watch_var = 0;  // with exact: count only the map this global holds (link-time)
  std::string phase_mark;  // a function the workload calls where a phase begins ("": none)
};

// The target's counters (probe/task_counters.h) read at one moment: when gri attached, at
// each call of the phase-mark function (as soon as user space hears of it), and at the end.
struct CounterRead {
  uint32_t phase = 0;     // the phase that begins here (0: at attach; marks: 1, 2, ...)
  std::string name;       // the mark's string argument ("" when it has none)
  uint64_t mark_ns = 0;   // CLOCK_MONOTONIC of the mark (attach, end: the read's own time)
  uint64_t read_ns = 0;   // CLOCK_MONOTONIC of the read
  std::vector<probe::TaskCounterValue> values;
  std::string error;      // why values are empty
};

struct MapsAttach {
  MapKind kind = MapKind::kUnknown;
  std::string growth_unavailable;    // why growths are not traced ("": traced)
  std::vector<std::string> probed;   // "runtime.hashGrow (entry and 2 RETs)", ...
  uint64_t probe_sites = 0;
  bool entries_emulated = true;      // every entry probe sits on an emulated instruction
  // --exact: the functions counted, in the BPF side's numbering; wrappers left unprobed.
  struct OpFunction {
    std::string name;
    std::string op;  // "lookups", "inserts", "deletes"
    bool emulated = false;
  };
  std::vector<OpFunction> op_functions;
  std::vector<std::string> op_wrappers;  // "runtime.mapaccess1_fast64 (calls ...)"
  // --exact: the lookup sites counted (code.h), in the BPF side's numbering.
  LookupSites lookup;
  // The target's counters: hardware ones unless this says why not; software ones always.
  std::string counters_error;  // the counters could not be opened at all
  std::string hw_unavailable;
};

struct MapsCounts {
  std::vector<Growth> growths;  // in the order they ended
  uint64_t entries = 0, events = 0, no_entry = 0, lost = 0;
  uint64_t untimed = 0;  // events sent at an entry, with no RET (growToSmall)
  uint64_t samples = 0, samples_dropped = 0;
  std::map<uint64_t, uint64_t> pcs;  // run-time user pc -> samples (0: in the kernel)
  std::vector<uint64_t> op_calls;    // --exact: calls of attach_info().op_functions[i]
  std::vector<uint64_t> site_hits;   // --exact: executions of attach_info().lookup.sites[i]
  // The same by phase ([phase][i], MAPS_PHASES of them; the last also holds later phases).
  std::vector<std::vector<uint64_t>> op_calls_by_phase, site_hits_by_phase;
  std::vector<CounterRead> reads;    // attach, each mark, the end
  uint64_t marks_lost = 0;
};

class MapsProbes {
 public:
  // Loads and attaches for process `pid` running `bin`. A missing function or field is not
  // an error: attach_info().growth_unavailable says why.
  static Result<std::unique_ptr<MapsProbes>> attach(const goelf::GoBinary& bin, pid_t pid,
                                                    const MapsProbeOptions& options);
  ~MapsProbes();
  const MapsAttach& attach_info() const;
  // Drains the growth events and reads the counters (call once, at the end).
  Result<MapsCounts> read();

 private:
  struct State;
  static int on_mark(void* ctx, void* data, size_t size);
  explicit MapsProbes(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace gri::exp::maps
