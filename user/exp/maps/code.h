// What a binary's map code is: the functions the compiler calls for each map operation, and
// whether its lookups match a group's control bytes with SIMD instructions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "goelf/go_binary.h"

namespace gri::exp::maps {

// The entry points the compiler calls for map operations, by the key's fast path (generic,
// fast32, fast64, faststr), the same names on bucket maps (go1.19-1.23 runtime/map*.go) and
// swiss maps (go1.24+ internal/runtime/maps/runtime*.go, linknamed into the runtime).
// mapaccess1_fat/mapaccess2_fat are left out: they call mapaccess1/2, which are counted.
enum class MapOp { kLookup, kInsert, kDelete };
struct MapFunction {
  std::string_view name;
  MapOp op;
};
inline constexpr MapFunction kMapFunctions[] = {
    {"runtime.mapaccess1", MapOp::kLookup},
    {"runtime.mapaccess2", MapOp::kLookup},
    {"runtime.mapaccess1_fast32", MapOp::kLookup},
    {"runtime.mapaccess2_fast32", MapOp::kLookup},
    {"runtime.mapaccess1_fast64", MapOp::kLookup},
    {"runtime.mapaccess2_fast64", MapOp::kLookup},
    {"runtime.mapaccess1_faststr", MapOp::kLookup},
    {"runtime.mapaccess2_faststr", MapOp::kLookup},
    {"runtime.mapassign", MapOp::kInsert},
    {"runtime.mapassign_fast32", MapOp::kInsert},
    {"runtime.mapassign_fast32ptr", MapOp::kInsert},
    {"runtime.mapassign_fast64", MapOp::kInsert},
    {"runtime.mapassign_fast64ptr", MapOp::kInsert},
    {"runtime.mapassign_faststr", MapOp::kInsert},
    {"runtime.mapdelete", MapOp::kDelete},
    {"runtime.mapdelete_fast32", MapOp::kDelete},
    {"runtime.mapdelete_fast64", MapOp::kDelete},
    {"runtime.mapdelete_faststr", MapOp::kDelete},
};
const char* op_name(MapOp op);  // "lookups", "inserts", "deletes"

// A function of kMapFunctions as the binary has it. A wrapper does its work by calling
// another function of the list (go1.27's mapaccess1_fast64 calls mapaccess2_fast64): counting
// operations or reading code there would count them twice.
struct FoundMapFunction {
  std::string_view name;
  MapOp op;
  uint64_t addr = 0, size = 0;  // link-time
  std::string wraps;            // the function of the list it calls ("": none)
};
Result<std::vector<FoundMapFunction>> map_functions(const goelf::GoBinary& bin);

// A lookup function's group matching, from its disassembly: swiss maps match the 8 control
// bytes of a group against the key's 7-bit hash at once (go1.24+ internal/runtime/maps
// group.go, ctrlGroup.matchH2: on amd64 an intrinsic, PCMPEQB then PMOVMSKB; matchEmpty the
// same against 0x80), bucket maps compare tophash bytes or keys one by one.
struct LookupCode {
  std::string function;  // "runtime.mapaccess1_fast64"
  uint64_t pcmpeqb = 0, pmovmskb = 0, instructions = 0;
};
// The lookup functions of kMapFunctions found in the binary, wrappers left out (as are those
// inlined or absent). Fails when one cannot be decoded.
Result<std::vector<LookupCode>> lookup_code(const goelf::GoBinary& bin);

// --exact: where a lookup's work is counted, per lookup, on both kinds of map. Each site is an
// instruction that runs once per unit of work (found from go1.19-1.27 amd64 disassembly of
// runtime/map_fast64.go, map_faststr.go, map.go and internal/runtime/maps runtime_fast64.go,
// runtime_faststr.go, runtime.go, map.go, table.go):
//   kGroup      a swiss group's control word matched against the key's H2 (PCMPEQB/PMOVMSKB:
//               ctrlGroup.matchH2; the small-map fast paths' matchFull, PMOVMSKB alone), or a
//               scalar scan of 8 slots begun (its index zeroed, XOR then the loop's test):
//               every bucket a bucket map visits, overflow included, and a swiss small map's
//               scalar scan (getWithoutKeySmallFastStr)
//   kCandidate  a slot a SIMD match flagged, whose key is then compared (match.first(): BSF)
//   kSlot       one slot of a scalar scan (the body of `i < 8`, or of the small fast path's
//               `for full != 0` shift loop): its key (fast32, fast64), the key's length
//               (faststr buckets), its tophash (generic buckets) or its control byte (swiss
//               small string maps) compared with the lookup's
// The probe goes on an emulated instruction of the same block when there is one (a JMP or Jcc
// the block ends with: a trap, no single step), else on the instruction itself.
enum class SiteKind { kGroup, kCandidate, kSlot };
const char* site_kind_name(SiteKind k);  // "group", "candidate", "slot"
struct LookupSite {
  std::string function;
  SiteKind kind;
  uint64_t anchor = 0;  // link-time: the instruction that defines the site (PMOVMSKB, BSF, ...)
  uint64_t probe = 0;   // link-time: the instruction probed, same executions as the anchor
  bool emulated = false;
  // The key is compared in every slot this site counts (fast32/fast64 scans).
  bool compares_key = false;
};
struct LookupSites {
  std::vector<LookupSite> sites;
  std::vector<std::string> functions;      // searched: lookup functions and their get* helpers
  std::vector<std::string> without_sites;  // lookup functions with no site and no helper
};
Result<LookupSites> lookup_sites(const goelf::GoBinary& bin);

}  // namespace gri::exp::maps
