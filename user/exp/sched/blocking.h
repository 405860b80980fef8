// Why a thread of a Go program blocked, from its user stack at the switch-out: the Go
// function it blocked in, resolved with the binary's pclntab (stripped binaries keep it).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "goelf/pclntab.h"

namespace gri::exp::sched {

enum class BlockKind {
  kRuntimeLock,  // runtime.lock2: a runtime-internal mutex (sched.lock, mheap.lock, ...)
  kSyncMutex,    // sync.Mutex / RWMutex semaphores (semacquire1 on the thread's own stack)
  kNetpoll,      // runtime.netpoll: epoll_pwait, waiting for network or timer events
  kIdle,         // the M has no goroutine to run: stopm, or the idle P's sleep in findRunnable
  kSysmon,       // the sysmon thread between its checks
  kGc,           // stopped for or waiting on the garbage collector
  kSyscall,      // a goroutine's blocking system call (syscall.Syscall, os file I/O ...)
  kOther,
  kUnknown,      // the kernel could not record the stack
};

std::string_view block_kind_name(BlockKind kind);  // "runtime lock", "sync.Mutex", ...

struct BlockReason {
  BlockKind kind = BlockKind::kUnknown;
  std::string where;  // the Go function that explains it ("runtime.stopm"); "" when unknown
};

// Frames innermost first, run-time addresses; load_bias is subtracted before the lookup.
BlockReason classify_blocked_stack(const goelf::Pclntab& table, std::span<const uint64_t> frames,
                                   uint64_t load_bias);

}  // namespace gri::exp::sched
