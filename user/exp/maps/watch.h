// EXP-07 --watch VAR: one global map variable's layout, read from the target's memory
// (process_vm_readv; nothing runs in the target) once a second. A bucket map's header
// (runtime.hmap: count, B, noverflow, buckets, oldbuckets, nevacuate), or a swiss map's
// (maps.Map: used, dirPtr, dirLen, globalDepth) and every distinct table of its directory
// (maps.table: used, capacity, growthLeft, localDepth, groups.lengthMask).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"
#include "exp/maps/probes.h"
#include "goelf/runtime_layout.h"
#include "snapshot/snapshot.h"

namespace gri::exp::maps {

struct MapOffsets {
  MapKind kind = MapKind::kUnknown;
  // runtime.hmap
  uint32_t count = 0, B = 0, noverflow = 0, buckets = 0, oldbuckets = 0, nevacuate = 0;
  // maps.Map and maps.table
  uint32_t used = 0, dir_ptr = 0, dir_len = 0, global_depth = 0;
  uint32_t t_used = 0, t_capacity = 0, t_growth_left = 0, t_local_depth = 0, t_length_mask = 0;
};

// The offsets for `kind` from the layout; the error names the fields missing.
Result<MapOffsets> map_offsets(const goelf::RuntimeLayout& layout, MapKind kind);

struct MapLayout {
  double at_s = 0;       // since the watch began
  bool nil = false;      // the variable held no map
  uint64_t entries = 0;  // len(m): hmap.count or Map.used
  // bucket map
  uint32_t B = 0;            // log2(buckets)
  uint64_t buckets = 0;      // 2^B
  uint64_t overflow = 0;     // hmap.noverflow: exact below 2^16 buckets, estimated above
  bool growing = false;      // oldbuckets still being evacuated
  uint64_t evacuated = 0;    // hmap.nevacuate: old buckets evacuated so far
  double load = 0;           // entries per bucket (the runtime grows above 6.5)
  // swiss map
  bool small = false;         // dirLen 0: one group of 8 slots, no table
  uint64_t directory = 0;     // dirLen: directory entries (2^globalDepth)
  uint32_t global_depth = 0;
  uint64_t tables = 0;        // distinct tables in the directory
  uint64_t groups = 0;        // groups of 8 slots in them (1 for a small map)
  uint64_t slots = 0;         // their capacity
  uint64_t used = 0;          // the tables' used slots (their sum equals entries)
  uint64_t tombstones = 0;    // deleted slots that still take growth (7/8 capacity - used - growthLeft)
  uint64_t growth_left = 0;   // inserts left before a table must grow or split
};

// One read of the map whose header is at `map_addr` (0: nil).
Result<MapLayout> read_map(snapshot::MemoryReader& mem, uint64_t map_addr, const MapOffsets& o);

// Reads the map held by the pointer-sized global at `global_addr` (link-time address)
// every `period_s` from a thread of its own, until stop(); the load bias of a PIE is read
// from /proc/PID/maps at the first read.
class MapWatcher {
 public:
  MapWatcher(pid_t pid, uint64_t global_addr, MapOffsets offsets, double period_s = 1.0);
  ~MapWatcher();
  void stop();  // reads once more, then ends the thread
  std::vector<MapLayout> samples() const;
  std::string last_error() const;

 private:
  void read_once();
  pid_t pid_;
  uint64_t global_addr_;
  MapOffsets offsets_;
  double period_s_;
  std::optional<uint64_t> bias_;
  snapshot::ProcessMemory mem_;
  std::chrono::steady_clock::time_point start_;
  mutable std::mutex mu_;
  std::vector<MapLayout> samples_;
  std::string error_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace gri::exp::maps
