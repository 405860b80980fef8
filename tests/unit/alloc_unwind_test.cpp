// A frame-pointer unwind taken before a function set its frame pointer skips that function's
// caller; allocation sites must not blame the caller's caller. Found on go1.27, where the
// compiler calls size-specialised allocators (runtime.mallocgcSmallNoScanSC5) directly from
// the program's functions.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "exp/alloc/classify.h"
#include "go_probes.h"

namespace {

using namespace gri::test;
using gri::exp::alloc::lost_program_caller;

// The return address of the first direct CALL from `caller` to `callee`, link-time.
uint64_t return_address(const gri::goelf::GoBinary& bin, const char* caller, const char* callee) {
  auto from = bin.find_function(caller);
  auto to = bin.find_function(callee);
  if (!from || !to) return 0;
  auto code = bin.elf().read(from->addr, from->size);
  if (!code) return 0;
  for (size_t i = 0; i + 5 <= code->size(); i++) {
    if ((*code)[i] != 0xe8) continue;
    int32_t rel;
    std::memcpy(&rel, code->data() + i + 1, sizeof(rel));
    if (from->addr + i + 5 + rel == to->addr) return from->addr + i + 5;
  }
  return 0;
}

TEST(AllocUnwind, ASkippedProgramFunctionIsSeenFromTheCallBeforeTheReturnAddress) {
  std::string exe = probe_path("go1.27", "alloc");
  if (!std::filesystem::exists(exe)) GTEST_SKIP() << "skipped: " << exe << " not built (no Go 1.27)";
  auto bin = gri::goelf::GoBinary::open(exe);
  ASSERT_TRUE(bin) << bin.error().message;
  auto alloc = bin->find_function("runtime.mallocgcSmallNoScanSC5");
  ASSERT_TRUE(alloc) << "go1.27 allocates new([33]byte) through mallocgcSmallNoScanSC5";
  uint64_t in_main = return_address(*bin, "main.main", "main.allocNoscan33");
  uint64_t in_noscan = return_address(*bin, "main.allocNoscan33", "runtime.mallocgcSmallNoScanSC5");
  ASSERT_NE(in_main, 0u);
  ASSERT_NE(in_noscan, 0u);
  constexpr uint64_t bias = 0x1000;  // run-time addresses of a loaded binary
  // Sampled at the allocator's first instruction: main.allocNoscan33 was skipped.
  EXPECT_TRUE(lost_program_caller(*bin, bias, {alloc->addr + bias, in_main + bias}));
  // The whole chain: nothing lost.
  EXPECT_FALSE(lost_program_caller(*bin, bias, {alloc->addr + 20 + bias, in_noscan + bias, in_main + bias}));
  // One frame: nothing to tell.
  EXPECT_FALSE(lost_program_caller(*bin, bias, {alloc->addr + bias}));
}

}  // namespace
