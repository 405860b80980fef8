// Cache misses per map operation where no hardware PMU can be read: go-probes/maps run under
// valgrind's cachegrind, which counts instructions exactly and simulates the caches. Its
// figures are a simulation and are labelled so wherever they are shown.
#pragma once

#include <string>

#include "common/result.h"

namespace gri::exp::maps {

struct Counts {  // cachegrind's totals of one run, or per operation
  double ir = 0;  // instructions
  double d1 = 0;  // first-level data misses (reads and writes)
  double ll = 0;  // last-level data misses
  Counts operator-(const Counts& o) const { return {ir - o.ir, d1 - o.d1, ll - o.ll}; }
  Counts per(double n) const { return {ir / n, d1 / n, ll / n}; }
};

struct SimulatedOps {
  Counts insert, hit, miss;  // per operation
};

// The simulated caches: a common x86 L1d (32 KiB, 8-way) and a last level of 8 MiB, 16-way,
// far below this machine's 48 MiB, so that a map of 2^20 entries does not fit in it.
inline constexpr const char* kSimulatedCaches = "D1 32 KiB 8-way, LL 8 MiB 16-way, 64 B lines";

// The valgrind binary, or "" when it is not installed.
std::string find_valgrind();

// go-probes/maps (`binary`) with int64 keys: n inserts into a fresh map, then n lookups that
// hit, or n that miss, under cachegrind, each phase's counts the difference of two runs
// (insert alone; insert then the lookups; a 1-key run for the start-up). Files go to
// log_prefix-*. GOGC=off: a collection's work would land in whichever run and phase it fell
// in (two runs of 16384 keys differed by 156k instructions, 9.5 a lookup); the figures are
// the map code's. GOMAXPROCS=1 and --fair-sched=yes: valgrind runs one thread at a time, and
// with its default scheduling Go 1.24+'s idle Ms spin in runtime.lock2/unlock2
// (lock_spinbit.go) and findRunnable for billions of instructions (measured: a go1.25
// insert of 2^20 keys, 63.6G instructions and not done after 334 s; 0.62G with either).
Result<SimulatedOps> simulate_ops(const std::string& binary, int n, const std::string& log_prefix);

}  // namespace gri::exp::maps
