// The runtime fields and globals gri reads, and their resolution for one binary.
//
// Every path below was checked against the DWARF of go1.19.8, go1.21.13, go1.22.12, go1.23.5,
// go1.24.4, go1.25.12, go1.26.8 and go1.27.3 builds (build/go-probes/go1.XX/gc).
// Struct sources: runtime/runtime2.go (g, m, p, schedt), runtime/time.go (timers, 1.23+),
// runtime/mgcpacer.go (gcControllerState), runtime/mheap.go (mheap, mspan), runtime/mgc.go
// (workType), runtime/mstats.go (mstats, heapStatsDelta), runtime/mcache.go (mcache).
#include "goelf/runtime_layout.h"

#include <algorithm>
#include <initializer_list>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "goelf/dwarf.h"
#include "goelf/globals.h"

namespace gri::goelf {

namespace {

// One row of offsets_table.inc.
struct TableEntry {
  std::string_view minor;           // "1.26"
  std::string_view generated_from;  // "go1.26.8": the toolchain whose DWARF it was read from
  std::string_view key;
  std::string_view member;
  uint64_t offset;
};

// An initializer_list, so that a table with no rows (before the first tools/gen-offsets run)
// still compiles.
const std::initializer_list<TableEntry> kTable = {
#include "goelf/offsets_table.inc"
};

// Values the runtime computes rather than stores: no member holds them in any version, so
// they stay missing with this reason instead of a guess.
struct Computed {
  std::string_view key;
  std::string_view reason;
};

constexpr Computed kComputed[] = {
    {"gcControllerState.heapGoal",
     "computed, not stored: (*gcControllerState).heapGoal() in runtime/mgcpacer.go "
     "(go1.19-1.27) is gcPercentHeapGoal lowered to memoryLimitHeapGoal(); read "
     "gcControllerState.gcPercentHeapGoal, and lastHeapGoal for the last cycle's goal"},
    {"gcControllerState.trigger",
     "computed, not stored: (*gcControllerState).trigger() in runtime/mgcpacer.go "
     "(go1.19-1.27) derives it from the heap goal, runway and sweepDistMinTrigger; "
     "gcControllerState.triggered holds heapLive at the trigger of the running cycle"},
};

std::string_view computed_reason(std::string_view key) {
  for (const Computed& c : kComputed) {
    if (c.key == key) return c.reason;
  }
  return {};
}

// "go1.26.8" / "go1.26" / "go1.26rc1" -> "1.26"; "" when it is not a go1.N version.
std::string minor_of(std::string_view version) {
  if (!version.starts_with("go1.")) return {};
  std::string_view rest = version.substr(4);
  size_t digits = 0;
  while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') ++digits;
  if (digits == 0) return {};
  return "1." + std::string(rest.substr(0, digits));
}

std::string join_paths(const std::vector<std::string_view>& paths) {
  std::string out;
  for (size_t i = 0; i < paths.size(); ++i) {
    if (i > 0) out += " or ";
    out += paths[i];
  }
  return out;
}

// The catalog. Keys are "<short struct name>.<what>" and stay the same across versions;
// paths list what each field has been called, newest name first unless noted.
std::vector<FieldSpec> make_catalog() {
  const std::string_view g = "runtime.g", m = "runtime.m", p = "runtime.p",
                         sched = "runtime.schedt", gc = "runtime.gcControllerState",
                         heap = "runtime.mheap", work = "runtime.workType",
                         stats = "runtime.mstats", delta = "runtime.heapStatsDelta",
                         mcache = "runtime.mcache", span = "runtime.mspan",
                         type = "runtime._type", abi_type = "internal/abi.Type",
                         hmap = "runtime.hmap", swiss = "internal/runtime/maps.Map",
                         table = "internal/runtime/maps.table", timer = "runtime.timer",
                         timer_when = "runtime.timerWhen";
  return {
      // runtime.g (runtime2.go). goid moved 152 -> 160 -> 152 (1.23-1.24 only, per
      // offsets-amd64.md): never assume it.
      {"g.stack.lo", g, {"stack.lo"}},
      {"g.stack.hi", g, {"stack.hi"}},
      {"g.stackguard0", g, {"stackguard0"}},
      {"g.m", g, {"m"}},
      {"g.sched", g, {"sched"}},
      {"g.sched.sp", g, {"sched.sp"}},
      {"g.sched.pc", g, {"sched.pc"}},
      {"g.sched.bp", g, {"sched.bp"}},
      {"g.atomicstatus", g, {"atomicstatus"}},  // uint32; atomic.Uint32 (value at +0) 1.20+
      {"g.goid", g, {"goid"}},                  // int64 in 1.19, uint64 since
      {"g.waitsince", g, {"waitsince"}},
      {"g.waitreason", g, {"waitreason"}},
      {"g.preempt", g, {"preempt"}},
      {"g.preemptStop", g, {"preemptStop"}},
      {"g.gopc", g, {"gopc"}},
      {"g.startpc", g, {"startpc"}},
      {"g.parentGoid", g, {"parentGoid"}},  // not in go1.19's runtime2.go
      {"g.gcAssistBytes", g, {"gcAssistBytes"}},

      // runtime.m (runtime2.go). procid is the Linux TID (set in minit).
      {"m.g0", m, {"g0"}},
      {"m.procid", m, {"procid"}},
      {"m.curg", m, {"curg"}},
      {"m.p", m, {"p"}},
      {"m.nextp", m, {"nextp"}},
      {"m.oldp", m, {"oldp"}},
      {"m.id", m, {"id"}},
      {"m.mallocing", m, {"mallocing"}},
      {"m.locks", m, {"locks"}},
      {"m.spinning", m, {"spinning"}},
      {"m.blocked", m, {"blocked"}},
      {"m.alllink", m, {"alllink"}},
      {"m.preemptGen", m, {"preemptGen"}},
      {"m.signalPending", m, {"signalPending"}},
      {"m.preemptoff", m, {"preemptoff"}},  // string: go1.19's stopTheWorld reason (proc.go)

      // runtime.p (runtime2.go).
      {"p.id", p, {"id"}},
      {"p.status", p, {"status"}},
      {"p.schedtick", p, {"schedtick"}},
      {"p.syscalltick", p, {"syscalltick"}},
      // sysmon's view of the P's slices (retake, src/runtime/proc.go 1.19-1.27): EXP-02
      {"p.sysmontick.schedtick", p, {"sysmontick.schedtick"}},
      {"p.sysmontick.schedwhen", p, {"sysmontick.schedwhen"}},
      {"p.m", p, {"m"}},
      {"p.mcache", p, {"mcache"}},
      {"p.runqhead", p, {"runqhead"}},
      {"p.runqtail", p, {"runqtail"}},
      {"p.runq", p, {"runq"}},  // [256]guintptr
      {"p.runnext", p, {"runnext"}},
      {"p.gcAssistTime", p, {"gcAssistTime"}},
      {"p.gcMarkWorkerMode", p, {"gcMarkWorkerMode"}},
      {"p.gcw", p, {"gcw"}},
      {"p.wbBuf.next", p, {"wbBuf.next"}},
      {"p.wbBuf.end", p, {"wbBuf.end"}},
      {"p.wbBuf.buf", p, {"wbBuf.buf"}},
      {"p.preempt", p, {"preempt"}},
      {"p.gcStopTime", p, {"gcStopTime"}},  // not in go1.19's runtime2.go
      // Timers. Up to 1.22 p has timersLock, timers []*timer, numTimers, deletedTimers,
      // timer0When, timerModifiedEarliest (go1.19 runtime2.go); from 1.23 one p.timers of
      // type timers {mu, heap []timerWhen, len, zombies, minWhenHeap, minWhenModified}
      // (go1.26 runtime/time.go). Go's DWARF describes a slice as a struct {array, len,
      // cap}, so "timers.len" is len(p.timers) before 1.23 and the atomic copy of len(heap)
      // after: both count heap entries including deleted (zombie) timers. The heap's
      // elements are *timer up to 1.22 and timerWhen{timer *timer, when int64} from 1.23.
      {"p.timers", p, {"timers"}},
      {"p.timers.heap", p, {"timers.heap.array", "timers.array"}},
      {"p.timers.len", p, {"timers.len"}},
      {"p.timers.zombies", p, {"timers.zombies", "deletedTimers"}},
      {"p.timers.lock", p, {"timers.mu", "timersLock"}},
      {"p.timers.minWhen", p, {"timers.minWhenHeap", "timer0When"}},
      {"p.timers.minWhenModified", p, {"timers.minWhenModified", "timerModifiedEarliest"}},
      {"p.numTimers", p, {"numTimers"}},  // gone in 1.23: timers.len - timers.zombies
      // runtime.timer (runtime/time.go): when, period, f, arg in every release; pp (the P
      // whose heap holds it, a puintptr) up to 1.22, ts (*timers, inside the P's struct:
      // P = ts - p.timers) and isChan from 1.23. f is a func value: a pointer to a funcval
      // whose first word is the code's pc.
      {"timer.when", timer, {"when"}},
      {"timer.period", timer, {"period"}},
      {"timer.f", timer, {"f"}},
      {"timer.arg", timer, {"arg"}},
      {"timer.pp", timer, {"pp"}},
      {"timer.ts", timer, {"ts"}},
      {"timer.isChan", timer, {"isChan"}},
      {"timerWhen.timer", timer_when, {"timer"}},
      {"timerWhen.when", timer_when, {"when"}},

      // runtime.schedt (runtime2.go). The global run queue's length was sched.runqsize up
      // to 1.24; 1.25 moved it into gQueue as runq.size (offsets-amd64.md, go1.26 proc.go).
      {"schedt.lastpoll", sched, {"lastpoll"}},
      {"schedt.lock", sched, {"lock"}},
      {"schedt.nmidle", sched, {"nmidle"}},
      {"schedt.pidle", sched, {"pidle"}},
      {"schedt.npidle", sched, {"npidle"}},
      {"schedt.nmspinning", sched, {"nmspinning"}},
      {"schedt.needspinning", sched, {"needspinning"}},  // not in go1.19's runtime2.go
      {"schedt.runq.head", sched, {"runq.head"}},
      {"schedt.runq.tail", sched, {"runq.tail"}},
      {"schedt.runqsize", sched, {"runqsize", "runq.size"}},
      {"schedt.gcwaiting", sched, {"gcwaiting"}},  // uint32 in 1.19, atomic.Bool since
      {"schedt.stopwait", sched, {"stopwait"}},
      {"schedt.sysmonwait", sched, {"sysmonwait"}},
      {"schedt.totalMutexWaitTime", sched, {"totalMutexWaitTime"}},  // not in go1.19

      // runtime.gcControllerState (mgcpacer.go): the same names in 1.19, 1.26 and 1.27;
      // 1.19 has plain uint64/int64 where later versions have atomic.Uint64/Int64 (value at
      // +0) and two padding words, so offsets differ but names do not. The heap goal and
      // the trigger are computed (kComputed above).
      {"gcControllerState.gcPercent", gc, {"gcPercent"}},
      {"gcControllerState.memoryLimit", gc, {"memoryLimit"}},
      {"gcControllerState.heapMinimum", gc, {"heapMinimum"}},
      {"gcControllerState.runway", gc, {"runway"}},
      {"gcControllerState.gcPercentHeapGoal", gc, {"gcPercentHeapGoal"}},
      {"gcControllerState.lastHeapGoal", gc, {"lastHeapGoal"}},
      {"gcControllerState.heapGoal", gc, {}},
      {"gcControllerState.trigger", gc, {}},
      {"gcControllerState.sweepDistMinTrigger", gc, {"sweepDistMinTrigger"}},
      {"gcControllerState.triggered", gc, {"triggered"}},
      {"gcControllerState.heapLive", gc, {"heapLive"}},
      {"gcControllerState.heapScan", gc, {"heapScan"}},
      {"gcControllerState.heapMarked", gc, {"heapMarked"}},
      {"gcControllerState.bgScanCredit", gc, {"bgScanCredit"}},
      {"gcControllerState.assistTime", gc, {"assistTime"}},
      {"gcControllerState.dedicatedMarkTime", gc, {"dedicatedMarkTime"}},
      {"gcControllerState.fractionalMarkTime", gc, {"fractionalMarkTime"}},
      {"gcControllerState.idleMarkTime", gc, {"idleMarkTime"}},
      {"gcControllerState.markStartTime", gc, {"markStartTime"}},
      {"gcControllerState.heapInUse", gc, {"heapInUse"}},
      {"gcControllerState.heapFree", gc, {"heapFree"}},
      {"gcControllerState.heapReleased", gc, {"heapReleased"}},
      {"gcControllerState.totalAlloc", gc, {"totalAlloc"}},
      {"gcControllerState.totalFree", gc, {"totalFree"}},
      {"gcControllerState.mappedReady", gc, {"mappedReady"}},

      // runtime.mheap (mheap.go). allArenas was renamed heapArenas when user arenas came
      // (go1.19 has allArenas, go1.26 heapArenas). central[1] - central[0] is the stride of
      // the per-span-class mcentral array (mcentral plus cache-line padding).
      {"mheap.lock", heap, {"lock"}},
      {"mheap.pages", heap, {"pages"}},
      {"mheap.sweepgen", heap, {"sweepgen"}},
      {"mheap.allspans", heap, {"allspans"}},
      {"mheap.pagesInUse", heap, {"pagesInUse"}},
      {"mheap.pagesSwept", heap, {"pagesSwept"}},
      {"mheap.heapArenas", heap, {"heapArenas", "allArenas"}},
      {"mheap.central", heap, {"central"}},
      {"mheap.central[1]", heap, {"central[1]"}},

      // runtime.workType (mgc.go).
      {"workType.bytesMarked", work, {"bytesMarked"}},
      {"workType.nproc", work, {"nproc"}},
      {"workType.tstart", work, {"tstart"}},
      {"workType.nwait", work, {"nwait"}},
      {"workType.mode", work, {"mode"}},
      {"workType.userForced", work, {"userForced"}},
      {"workType.initialHeapLive", work, {"initialHeapLive"}},
      {"workType.cycles", work, {"cycles"}},
      {"workType.stwprocs", work, {"stwprocs"}},
      {"workType.maxprocs", work, {"maxprocs"}},
      {"workType.tSweepTerm", work, {"tSweepTerm"}},
      {"workType.tMark", work, {"tMark"}},
      {"workType.tMarkTerm", work, {"tMarkTerm"}},
      {"workType.tEnd", work, {"tEnd"}},
      {"workType.pauseNS", work, {"pauseNS"}},
      {"workType.pauseStart", work, {"pauseStart"}},  // gone in 1.22 (offsets-amd64.md)
      {"workType.heap0", work, {"heap0"}},
      {"workType.heap1", work, {"heap1"}},
      {"workType.heap2", work, {"heap2"}},

      // runtime.mstats (mstats.go). Per-size-class counts live in
      // memstats.heapStats.stats[3]heapStatsDelta (what runtime/metrics reads), not in a
      // by_size array (mstats has none in 1.19-1.27); stats[1] - stats[0] is the stride.
      {"mstats.heapStats", stats, {"heapStats"}},
      {"mstats.heapStats.stats", stats, {"heapStats.stats"}},
      {"mstats.heapStats.stats[1]", stats, {"heapStats.stats[1]"}},
      {"mstats.heapStats.gen", stats, {"heapStats.gen"}},
      {"mstats.last_gc_unix", stats, {"last_gc_unix"}},
      {"mstats.pause_total_ns", stats, {"pause_total_ns"}},
      {"mstats.pause_ns", stats, {"pause_ns"}},
      {"mstats.pause_end", stats, {"pause_end"}},
      {"mstats.numgc", stats, {"numgc"}},
      {"mstats.numforcedgc", stats, {"numforcedgc"}},
      {"mstats.last_gc_nanotime", stats, {"last_gc_nanotime"}},
      {"mstats.enablegc", stats, {"enablegc"}},
      {"heapStatsDelta.inHeap", delta, {"inHeap"}},
      {"heapStatsDelta.tinyAllocCount", delta, {"tinyAllocCount"}},
      {"heapStatsDelta.largeAlloc", delta, {"largeAlloc"}},
      {"heapStatsDelta.largeAllocCount", delta, {"largeAllocCount"}},
      {"heapStatsDelta.smallAllocCount", delta, {"smallAllocCount"}},  // [68]uint64
      {"heapStatsDelta.largeFree", delta, {"largeFree"}},
      {"heapStatsDelta.largeFreeCount", delta, {"largeFreeCount"}},
      {"heapStatsDelta.smallFreeCount", delta, {"smallFreeCount"}},

      // runtime.mcache (mcache.go) and runtime.mspan (mheap.go), for the allocator.
      {"mcache.scanAlloc", mcache, {"scanAlloc"}},
      {"mcache.tiny", mcache, {"tiny"}},
      {"mcache.tinyoffset", mcache, {"tinyoffset"}},
      {"mcache.tinyAllocs", mcache, {"tinyAllocs"}},
      {"mcache.alloc", mcache, {"alloc"}},  // [numSpanClasses]*mspan
      {"mspan.startAddr", span, {"startAddr"}},
      {"mspan.npages", span, {"npages"}},
      {"mspan.freeindex", span, {"freeindex"}},    // uintptr in 1.19, uint16 since
      {"mspan.nelems", span, {"nelems"}},          // uintptr in 1.19, uint16 since
      {"mspan.allocCount", span, {"allocCount"}},  // uint16
      {"mspan.spanclass", span, {"spanclass"}},    // uint8
      {"mspan.elemsize", span, {"elemsize"}},
      // What the span held when an mcache took it (mcache.go refill, go1.19-1.27): the
      // objects allocated from it since are not yet in heapStats.smallAllocCount.
      {"mspan.allocCountBeforeCache", span, {"allocCountBeforeCache"}},
      // Whether an allocation's type has pointers (noscan: none): _type.ptrdata in go1.19
      // (runtime/type.go), abi.Type.PtrBytes since _type became internal/abi.Type (1.21).
      {"_type.ptrdata", type, {"ptrdata"}},
      {"abi.Type.PtrBytes", abi_type, {"PtrBytes"}},

      // EXP-07. The bucket map's header (runtime/map.go up to 1.23, map_noswiss.go in 1.24
      // and 1.25 with GOEXPERIMENT=noswissmap): B is log2 of the bucket count, flags bit 8
      // sameSizeGrow; absent from a swiss binary.
      {"hmap.count", hmap, {"count"}},
      {"hmap.flags", hmap, {"flags"}},
      {"hmap.B", hmap, {"B"}},
      {"hmap.noverflow", hmap, {"noverflow"}},
      {"hmap.buckets", hmap, {"buckets"}},
      {"hmap.oldbuckets", hmap, {"oldbuckets"}},
      {"hmap.nevacuate", hmap, {"nevacuate"}},
      // The swiss map (internal/runtime/maps/map.go and table.go, 1.24+): dirLen 0 is a
      // small map, one group of 8 slots at dirPtr; else a directory of *table.
      {"maps.Map.used", swiss, {"used"}},
      {"maps.Map.dirPtr", swiss, {"dirPtr"}},
      {"maps.Map.dirLen", swiss, {"dirLen"}},
      {"maps.Map.globalDepth", swiss, {"globalDepth"}},
      {"maps.table.used", table, {"used"}},
      {"maps.table.capacity", table, {"capacity"}},
      {"maps.table.growthLeft", table, {"growthLeft"}},
      {"maps.table.localDepth", table, {"localDepth"}},
      {"maps.table.groups.lengthMask", table, {"groups.lengthMask"}},
  };
}

// Globals read by address (runtime/runtime2.go, proc.go, mgc.go, mgcpacer.go, mstats.go,
// mheap.go, extern.go, sizeclasses.go), each with the names it has had, newest last.
const std::vector<GlobalSpec> kGlobals = {
    {"runtime.sched"}, {"runtime.allp"}, {"runtime.allm"}, {"runtime.gcController"},
    {"runtime.memstats"}, {"runtime.work"}, {"runtime.gomaxprocs"}, {"runtime.mheap_"},
    {"runtime.buildVersion"}, {"runtime.writeBarrier"}, {"runtime.gcphase"},
    // EXP-01's goroutine census (allglen, allgptr: runtime/proc.go) and wait-reason names
    // (waitReasonStrings: runtime/runtime2.go), go1.19-1.27.
    {"runtime.allglen"}, {"runtime.allgptr"}, {"runtime.waitReasonStrings"},
    // Names of stop-the-world reasons (runtime/proc.go, go1.21+; go1.19 has none).
    {"runtime.stwReasonStrings"},
    // The size-class tables (runtime/sizeclasses.go up to go1.24, then
    // internal/runtime/gc/sizeclasses.go).
    {"runtime.class_to_size", "internal/runtime/gc.SizeClassToSize"},
    {"runtime.class_to_allocnpages", "internal/runtime/gc.SizeClassToNPages"},
};

RuntimeLayout missing_fields(std::string_view reason) {
  RuntimeLayout layout;
  for (const FieldSpec& spec : field_catalog()) {
    layout.fields.push_back(
        {std::string(spec.key), std::string(spec.type), "", std::nullopt, "", std::string(reason)});
  }
  return layout;
}

void resolve_from_dwarf(const Dwarf& dwarf, std::string_view go_version, RuntimeLayout* out) {
  for (const FieldSpec& spec : field_catalog()) {
    ResolvedField field{std::string(spec.key), std::string(spec.type), "", std::nullopt, "", ""};
    for (std::string_view path : spec.paths) {
      auto offset = dwarf.member_offset(spec.type, path);
      if (offset) {
        field.member = std::string(path);
        field.offset = *offset;
        field.source = "dwarf";
        break;
      }
    }
    if (!field.offset) {
      std::string_view computed = computed_reason(spec.key);
      field.reason = !computed.empty()
                         ? std::string(computed)
                         : fmt::format("no member {} in {} of {}", join_paths(spec.paths),
                                       spec.type, go_version);
    }
    out->fields.push_back(std::move(field));
  }
}

void resolve_from_table(const ElfFile& elf, std::string_view go_version, RuntimeLayout* out) {
  std::string minor = minor_of(go_version);
  std::vector<const TableEntry*> rows;
  for (const TableEntry& e : kTable) {
    if (e.minor == minor) rows.push_back(&e);
  }
  if (rows.empty() || elf.arch() != Arch::kX86_64) {
    std::vector<std::string> have;
    for (const TableEntry& e : kTable) {
      std::string v = "go" + std::string(e.minor);
      if (std::find(have.begin(), have.end(), v) == have.end()) have.push_back(v);
    }
    std::string why =
        rows.empty()
            ? fmt::format("no offsets table for {}: the table has {}; without DWARF "
                          "(built with -ldflags=-w or stripped) offsets are not guessed",
                          minor.empty() ? fmt::format("Go version \"{}\"", go_version)
                                        : "go" + minor,
                          fmt::join(have, ", "))
            : fmt::format("no offsets table for go{} on {}: the table holds amd64 offsets "
                          "only; without DWARF offsets are not guessed",
                          minor, arch_name(elf.arch()));
    *out = missing_fields(why);
    return;
  }
  const TableEntry& first = *rows.front();
  std::string source = fmt::format("table go{} (generated from {})", minor, first.generated_from);
  for (const FieldSpec& spec : field_catalog()) {
    ResolvedField field{std::string(spec.key), std::string(spec.type), "", std::nullopt, "", ""};
    auto row = std::find_if(rows.begin(), rows.end(),
                            [&](const TableEntry* e) { return e->key == spec.key; });
    if (row != rows.end()) {
      field.member = std::string((*row)->member);
      field.offset = (*row)->offset;
      field.source = source;
    } else if (std::string_view computed = computed_reason(spec.key); !computed.empty()) {
      field.reason = std::string(computed);
    } else {
      field.reason = fmt::format("no member {} in {} of {} (table generated from its DWARF)",
                                 join_paths(spec.paths), spec.type, first.generated_from);
    }
    out->fields.push_back(std::move(field));
  }
}

}  // namespace

std::optional<uint64_t> RuntimeLayout::offset(std::string_view key) const {
  for (const ResolvedField& f : fields) {
    if (f.key == key) return f.offset;
  }
  return std::nullopt;
}

std::optional<uint64_t> RuntimeLayout::address(std::string_view global) const {
  for (const ResolvedGlobal& g : globals) {
    if (g.name == global || g.symbol == global) return g.address;
  }
  return std::nullopt;
}

const ResolvedGlobal* RuntimeLayout::global(std::string_view name) const {
  for (const ResolvedGlobal& g : globals) {
    if (g.name == name || g.symbol == name) return &g;
  }
  return nullptr;
}

std::span<const FieldSpec> field_catalog() {
  static const std::vector<FieldSpec> catalog = make_catalog();
  return catalog;
}

std::span<const GlobalSpec> global_catalog() { return kGlobals; }

RuntimeLayout resolve_layout(const GoBinary& bin) { return resolve_layout(bin, bin.build().go_version); }

RuntimeLayout resolve_layout(const GoBinary& bin, std::string_view go_version) {
  const ElfFile& elf = bin.elf();
  RuntimeLayout layout;
  std::optional<Dwarf> dwarf;
  std::string dwarf_error;
  if (elf.find_section(".debug_info") != nullptr || elf.find_section(".zdebug_info") != nullptr) {
    auto opened = Dwarf::open(elf.path());
    if (opened) {
      dwarf.emplace(std::move(*opened));
    } else {
      dwarf_error = opened.error().message;
    }
  }
  if (dwarf) {
    resolve_from_dwarf(*dwarf, go_version, &layout);
  } else {
    resolve_from_table(elf, go_version, &layout);
    if (!dwarf_error.empty()) {
      for (ResolvedField& f : layout.fields) {
        if (!f.offset) f.reason += fmt::format(" (DWARF unreadable: {})", dwarf_error);
      }
    }
  }

  // Globals: .symtab first (what the linker wrote and `go tool nm` prints; already read by
  // ElfFile), DWARF where there is no .symtab. Equal where both exist (tests/unit), and a
  // DWARF lookup may inflate CUs that types did not need.
  // Without either (stripped), from the code that uses them (globals.h).
  std::string minor = minor_of(go_version);
  for (const GlobalSpec& spec : global_catalog()) {
    ResolvedGlobal global{std::string(spec.names.front()), "", std::nullopt, std::nullopt, "", ""};
    for (std::string_view name : spec.names) {
      if (const Symbol* sym = elf.find_object(name)) {
        global.address = sym->addr;
        global.size = sym->size;
        global.source = "symtab";
      } else if (dwarf) {
        if (auto address = dwarf->global_address(name)) {
          global.address = *address;
          global.source = "dwarf";
        }
      }
      if (global.address) {
        global.symbol = std::string(name);
        break;
      }
    }
    if (!global.address && !dwarf && !elf.has_symtab()) {
      auto found = find_global_in_code(bin, spec.names, minor);
      if (found) {
        global.address = found->address;
        global.size = found->size;
        global.symbol = found->symbol;
        global.source = found->how;
      } else {
        global.reason = "stripped, and not found from code: " + found.error().message;
      }
    } else if (!global.address) {
      global.reason = fmt::format("{} is in neither the DWARF nor the .symtab of {}",
                                  fmt::join(spec.names, " nor "), elf.path());
    }
    layout.globals.push_back(std::move(global));
  }
  return layout;
}

}  // namespace gri::goelf
