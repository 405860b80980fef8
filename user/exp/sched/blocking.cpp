#include "exp/sched/blocking.h"

#include <algorithm>
#include <array>
#include <vector>

namespace gri::exp::sched {

namespace {

bool starts_with_any(std::string_view name, std::span<const std::string_view> prefixes) {
  return std::any_of(prefixes.begin(), prefixes.end(),
                     [&](std::string_view p) { return name.starts_with(p); });
}

bool is_any(std::string_view name, std::span<const std::string_view> names) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// Functions that only carry the sleep down to the kernel: never the answer to "blocked in
// what". futex/futexsleep/notesleep/notetsleep(g)/semasleep (lock_futex.go, lock_sema.go,
// lock_spinbit.go, os_linux.go), epollwait (netpoll_epoll.go), usleep, Syscall6 wrappers
// (runtime/internal/syscall in 1.19-1.20, internal/runtime/syscall since 1.23), go1.19-1.27.
constexpr std::array<std::string_view, 15> kCarriers = {
    "runtime.futex",          "runtime.futexsleep",          "runtime.notesleep",
    "runtime.notetsleep",     "runtime.notetsleep_internal", "runtime.notetsleepg",
    "runtime.semasleep",      "runtime.mPark",               "runtime.usleep",
    "runtime.epollwait",      "runtime.usleep_no_g",         "runtime/internal/syscall.Syscall6",
    "internal/runtime/syscall.Syscall6", "internal/runtime/syscall/linux.Syscall6",
    "runtime.systemstack",
};

// runtime.lock is inlined almost everywhere; lock2 is the symbol every caller reaches
// (GO-RUNTIME.md section 2; lock_futex.go up to 1.23, lock_spinbit.go from 1.24).
constexpr std::array<std::string_view, 3> kRuntimeLock = {"runtime.lock2", "runtime.lockWithRank",
                                                          "runtime.lock"};
// sync.Mutex's slow path parks the goroutine in semacquire1 (runtime/sema.go): its frames
// are on a thread's stack only when the unwinder crossed from g0 into the parked goroutine.
constexpr std::array<std::string_view, 6> kSyncMutex = {
    "runtime.semacquire1", "sync.runtime_SemacquireMutex", "internal/sync.runtime_SemacquireMutex",
    "sync.runtime_SemacquireRWMutex", "sync.runtime_SemacquireRWMutexR", "sync.runtime_Semacquire"};
// runtime.epollwait (go1.19) is a leaf without a frame: the kernel's frame-pointer walk
// goes from it straight to netpoll's caller, so it stands for netpoll itself; later
// versions call the syscall package's EpollWait from netpoll (netpoll_epoll.go).
constexpr std::array<std::string_view, 4> kNetpoll = {
    "runtime.netpoll", "runtime.epollwait", "internal/runtime/syscall.EpollWait",
    "internal/runtime/syscall/linux.EpollWait"};
// An M without work: stopm (proc.go), the locked-M and template-thread sleeps, and the 3 us
// runqgrab sleeps before it steals another P's runnext ("Sleep to ensure that pp isn't
// about to run the g we are about to steal", proc.go runqgrab, go1.19-1.27).
constexpr std::array<std::string_view, 4> kIdle = {"runtime.stopm", "runtime.stoplockedm",
                                                   "runtime.templateThread", "runtime.runqgrab"};
// Where a thread's own (g0) stack ends. go1.19's mcall switches to g0 but leaves BP pointing
// into the goroutine's frames (asm_amd64.s), so the kernel's walk continues into the
// goroutine that parked (semacquire1 ... main.worker); those frames say why that goroutine
// stopped, not why the thread blocks. go1.26's mcall starts g0 with a fresh frame chain.
constexpr std::array<std::string_view, 4> kStackSwitch = {"runtime.mcall", "runtime.mstart",
                                                          "runtime.systemstack",
                                                          "runtime.morestack"};
constexpr std::array<std::string_view, 1> kSysmon = {"runtime.sysmon"};
constexpr std::array<std::string_view, 5> kGc = {"runtime.gcstopm", "runtime.gcBgMarkWorker",
                                                 "runtime.stopTheWorldWithSema",
                                                 "runtime.gcMarkDone", "runtime.forEachP"};
constexpr std::array<std::string_view, 4> kSyscallPrefixes = {"syscall.", "internal/syscall/",
                                                              "golang.org/x/sys/", "os."};

}  // namespace

std::string_view block_kind_name(BlockKind kind) {
  switch (kind) {
    case BlockKind::kRuntimeLock: return "runtime lock";
    case BlockKind::kSyncMutex: return "sync.Mutex";
    case BlockKind::kNetpoll: return "netpoll";
    case BlockKind::kIdle: return "idle";
    case BlockKind::kSysmon: return "sysmon";
    case BlockKind::kGc: return "GC";
    case BlockKind::kSyscall: return "syscall";
    case BlockKind::kOther: return "other";
    case BlockKind::kUnknown: return "unknown";
  }
  return "unknown";
}

BlockReason classify_blocked_stack(const goelf::Pclntab& table, std::span<const uint64_t> frames,
                                   uint64_t load_bias) {
  // The logical frames, innermost first: a function inlined into its caller (runtime.lock
  // into nearly everything) is named too, as the runtime's own tracebacks name it.
  std::vector<std::string> names;
  for (size_t i = 0; i < frames.size(); ++i) {
    // A return address points after the CALL: look up pc-1 for every frame but the first,
    // so a call at the very end of a function is not taken for the next one.
    uint64_t pc = frames[i] - load_bias - (i > 0 ? 1 : 0);
    auto logical = table.frames(pc);
    bool stack_switch = !logical.empty() && is_any(logical.back().func, kStackSwitch);
    if (logical.empty()) names.emplace_back();
    for (goelf::SourceFrame& f : logical) names.push_back(std::move(f.func));
    if (stack_switch) break;
  }
  if (names.empty()) return {BlockKind::kUnknown, ""};
  // The first frame outward from i that is not in `skip` nor a carrier.
  auto first_after = [&](size_t i, std::span<const std::string_view> skip) -> std::string {
    for (size_t j = i; j < names.size(); ++j) {
      if (names[j].empty() || is_any(names[j], skip) || is_any(names[j], kCarriers)) continue;
      return std::string(names[j]);
    }
    return std::string(names[i]);
  };
  for (size_t i = 0; i < names.size(); ++i) {
    std::string_view n = names[i];
    if (n.empty()) continue;
    if (is_any(n, kRuntimeLock)) return {BlockKind::kRuntimeLock, first_after(i, kRuntimeLock)};
    if (is_any(n, kSyncMutex)) return {BlockKind::kSyncMutex, first_after(i, kSyncMutex)};
    if (is_any(n, kNetpoll)) return {BlockKind::kNetpoll, "runtime.netpoll"};
    if (is_any(n, kIdle)) return {BlockKind::kIdle, std::string(n)};
    if (is_any(n, kSysmon)) return {BlockKind::kSysmon, std::string(n)};
    if (is_any(n, kGc)) return {BlockKind::kGc, std::string(n)};
    if (starts_with_any(n, kSyscallPrefixes)) return {BlockKind::kSyscall, first_after(i, {})};
  }
  return {BlockKind::kOther, first_after(0, {})};
}

}  // namespace gri::exp::sched
