#include "exp/probe_points.h"

#include <array>

#include <fmt/format.h>

namespace gri::exp {

namespace {

constexpr int kAll = 19;
constexpr int kNow = 99;

// One row per symbol; versions and notes from ../shared/GO-RUNTIME.md sections 2-9.
constexpr std::array<ProbePointSpec, 52> kProbePoints = {{
    // EXP-01 scheduler (section 2)
    {"EXP-01", "runtime.schedule", kAll, kNow, "", ""},
    {"EXP-01", "runtime.findRunnable", kAll, kNow, "", ""},
    {"EXP-01", "runtime.execute", kAll, kNow, "", ""},
    {"EXP-01", "runtime.runqget", kAll, 20, "inlined into findRunnable and stealWork from 1.21",
     ""},
    {"EXP-01", "runtime.globrunqget", kAll, 24, "inlined from 1.25", ""},
    {"EXP-01", "runtime.globrunqgetbatch", 25, kNow, "", ""},
    {"EXP-01", "runtime.injectglist", kAll, kNow, "", ""},
    {"EXP-01", "runtime.runqsteal", kAll, kNow, "", ""},
    {"EXP-01", "runtime.stopm", kAll, kNow, "", ""},
    // EXP-02 preemption (section 3)
    {"EXP-02", "runtime.retake", kAll, kNow, "", ""},
    {"EXP-02", "runtime.preemptone", kAll, kNow, "", ""},
    {"EXP-02", "runtime.signalM", kAll, kNow, "", ""},
    {"EXP-02", "runtime.doSigPreempt", kAll, kNow, "", ""},
    {"EXP-02", "runtime.asyncPreempt2", kAll, kNow, "", ""},
    {"EXP-02", "runtime.goschedImpl", kAll, kNow, "", ""},
    // EXP-03 work stealing (section 4)
    {"EXP-03", "runtime.stealWork", kAll, kNow, "", ""},
    {"EXP-03", "runtime.runqsteal", kAll, kNow, "", ""},
    {"EXP-03", "runtime.runqgrab", kAll, kNow, "", ""},
    // EXP-04 allocator (section 5)
    {"EXP-04", "runtime.mallocgc", kAll, kNow, "", ""},
    {"EXP-04", "runtime.mallocgcTiny", 24, kNow, "", ""},
    {"EXP-04", "runtime.mallocgcSmallNoscan", 24, kNow, "", ""},
    {"EXP-04", "runtime.mallocgcSmallScanNoHeader", 24, kNow, "", ""},
    {"EXP-04", "runtime.mallocgcSmallScanHeader", 24, kNow, "", ""},
    {"EXP-04", "runtime.mallocgcLarge", 24, kNow, "", ""},
    {"EXP-04", "runtime.(*mcache).refill", kAll, kNow, "", ""},
    {"EXP-04", "runtime.(*mcache).allocLarge", kAll, kNow, "", ""},
    // gri alloc: the hold at exit (assembly, sys_linux_amd64.s), the call whose
    // receiver is &memstats.heapStats (found in refill's code when stripped), and the
    // size-specialized functions compiled code calls directly (malloc_generated.go).
    {"EXP-04", "runtime.exit", kAll, kNow, "", ""},
    {"EXP-04", "runtime.(*consistentHeapStats).acquire", kAll, kNow, "", ""},
    {"EXP-04", "runtime.mallocgcTinySC2", 27, kNow, "",
     "1.26 only with GOEXPERIMENT=sizespecializedmalloc"},
    {"EXP-04", "runtime.mallocgcSmallNoScanSC2", 27, kNow, "",
     "1.26 only with GOEXPERIMENT=sizespecializedmalloc; the linker drops unused classes"},
    {"EXP-04", "runtime.mallocgcSmallScanNoHeaderSC1", 27, kNow, "",
     "1.26 only with GOEXPERIMENT=sizespecializedmalloc; the linker drops unused classes"},
    // EXP-05 GC pacing (section 6)
    {"EXP-05", "runtime.gcStart", kAll, kNow, "", ""},
    {"EXP-05", "runtime.gcMarkDone", kAll, kNow, "", ""},
    {"EXP-05", "runtime.gcMarkTermination", kAll, kNow, "", ""},
    {"EXP-05", "runtime.stopTheWorldWithSema", kAll, kNow, "", ""},
    {"EXP-05", "runtime.startTheWorldWithSema", kAll, kNow, "", ""},
    {"EXP-05", "runtime.gcAssistAlloc", kAll, kNow, "", ""},
    {"EXP-05", "runtime.setGCPhase", kAll, kNow, "", ""},
    // EXP-06 write barrier (section 7)
    {"EXP-06", "runtime.gcWriteBarrier", kAll, 20, "replaced by gcWriteBarrier1..8 in 1.21", ""},
    {"EXP-06", "runtime.wbBufFlush", kAll, kNow, "", ""},
    {"EXP-06", "runtime.wbBufFlush1", kAll, kNow, "", ""},
    {"EXP-06", "runtime.shade", kAll, kNow, "", ""},
    {"EXP-06", "runtime.greyobject", kAll, kNow, "", ""},
    // EXP-07 maps (section 8): the entry points exist in both implementations
    {"EXP-07", "runtime.mapaccess1", kAll, kNow, "",
     "dropped by the linker when no map is read"},
    {"EXP-07", "runtime.mapassign", kAll, kNow, "",
     "dropped by the linker when no map is written"},
    {"EXP-07", "runtime.hashGrow", kAll, 23, "bucket maps only (swiss maps from 1.24)", ""},
    {"EXP-07", "internal/runtime/maps.(*table).grow", 24, kNow, "", "swiss maps only"},
    // EXP-08 timers (section 9)
    {"EXP-08", "runtime.addtimer", kAll, 22, "timers rewritten in 1.23", ""},
    {"EXP-08", "runtime.runOneTimer", kAll, 22, "timers rewritten in 1.23", ""},
    {"EXP-08", "runtime.(*timer).modify", 23, kNow, "", ""},
    {"EXP-08", "runtime.(*timer).unlockAndRun", 23, kNow, "", ""},
    {"EXP-08", "runtime.(*timers).check", 23, kNow, "", ""},
}};

}  // namespace

std::span<const ProbePointSpec> probe_points() { return kProbePoints; }

std::string missing_reason(const ProbePointSpec& spec, int minor) {
  if (minor < spec.since_minor) return fmt::format("not in go1.{} (exists from 1.{})", minor, spec.since_minor);
  if (minor > spec.until_minor) {
    std::string why = fmt::format("not in go1.{} (last in 1.{})", minor, spec.until_minor);
    return spec.gone.empty() ? why : fmt::format("{}: {}", why, spec.gone);
  }
  if (!spec.note.empty()) return fmt::format("not in this binary: {}", spec.note);
  return "not in this binary's function table: inlined everywhere, or dropped by the linker as "
         "unused";
}

}  // namespace gri::exp
