// EXP-04's pure parts: the size-class table read from every toolchain's go-probe (plain,
// stripped, PIE), how a request is classified, and which frame of a stack is the site.
#include "exp/alloc/classify.h"
#include "exp/alloc/heap_stats.h"

#include <gtest/gtest.h>

#include "go_probes.h"
#include "goelf/go_binary.h"

namespace {

using namespace gri::exp::alloc;
using gri::test::ProbeBinary;

class SizeClassTable : public ::testing::TestWithParam<ProbeBinary> {};

TEST_P(SizeClassTable, ReadFromTheBinary) {
  auto bin = gri::goelf::GoBinary::open(GetParam().path("alloc"));
  ASSERT_TRUE(bin) << bin.error().message;
  auto c = read_size_classes(*bin, gri::goelf::resolve_layout(*bin));
  ASSERT_TRUE(c) << c.error().message;
  // 68 classes, 0 (large) to 32768, the same in go1.19-1.27 (src/runtime/sizeclasses.go,
  // internal/runtime/gc/sizeclasses.go).
  EXPECT_EQ(c->count(), 68u) << c->source;
  EXPECT_EQ(c->size[1], 8u);
  EXPECT_EQ(c->size[c->class_of(33)], 48u);
  EXPECT_EQ(c->size[c->class_of(24)], 24u);
  EXPECT_EQ(c->class_of(32769), 0u);
  // Stripped: both tables found from the runtime's code (goelf/globals.h).
  EXPECT_EQ(c->source.find("code: ") != std::string::npos, GetParam().variant == "-stripped")
      << c->source;
  ASSERT_EQ(c->npages.size(), 68u);
  EXPECT_EQ(*c->objects_per_span(c->class_of(24)), 8192u / 24);
}

INSTANTIATE_TEST_SUITE_P(Toolchains, SizeClassTable,
                         ::testing::ValuesIn(gri::test::probe_binaries({"", "-stripped", "-pie"})),
                         [](const auto& info) {
                           return gri::test::param_name(info.param.label + info.param.variant);
                         });

SizeClasses small_table() {
  SizeClasses c;
  c.size = {0, 8, 16, 24, 32, 48, 512, 576, 32768};
  return c;
}

TEST(AllocClassify, TinySmallLargeAndHeader) {
  std::map<uint64_t, uint64_t> sizes = {
      {8 << 1 | 1, 10},     // tiny
      {8 << 1 | 0, 3},      // 8 B with pointers: class 8, not tiny
      {33 << 1 | 1, 5},     // 48 B class
      {16 << 1 | 1, 2},     // 16 B noscan: not tiny (size < 16 only)
      {0 << 1 | 1, 7},      // zerobase
      {520 << 1 | 0, 4},    // scan above 512 B: +8 header from go1.22 -> 576
      {40960 << 1 | 1, 1},  // large
      {32768 << 1 | 0, 1},  // scan 32768 + header: large from go1.22
  };
  Classified c = classify(sizes, small_table(), malloc_rules("go1.26.8"));
  EXPECT_EQ(c.tiny, 10u);
  EXPECT_EQ(c.zero, 7u);
  EXPECT_EQ((c.small[{1, false}]), 3u);
  EXPECT_EQ((c.small[{5, true}]), 5u);
  EXPECT_EQ((c.small[{2, true}]), 2u);
  EXPECT_EQ((c.small[{7, false}]), 4u);
  EXPECT_EQ(c.large_objects, 2u);
  Classified old = classify(sizes, small_table(), malloc_rules("go1.19.8"));
  EXPECT_EQ((old.small[{7, false}]), 4u);  // 520 -> 576 without a header too
  EXPECT_EQ((old.small[{8, false}]), 1u);  // 32768 with pointers is small in go1.19
  EXPECT_EQ(old.large_objects, 1u);
}

TEST(AllocSite, FirstCallerOutsideTheRuntime) {
  std::map<uint64_t, Frame> fns = {
      {100, {"runtime.nextFreeFast", "", 0}}, {199, {"runtime.mallocgc", "", 0}},
      {299, {"runtime.newobject", "", 0}},    {399, {"main.allocScan24", "main.go", 41}},
      {499, {"main.main", "main.go", 60}},
  };
  auto sym = [&](uint64_t pc) {
    return fns.count(pc) ? std::vector<Frame>{fns[pc]} : std::vector<Frame>{};
  };
  auto site = allocation_site({100, 200, 300, 400, 500}, sym);
  ASSERT_TRUE(site);
  EXPECT_EQ(site->func, "main.allocScan24");
  EXPECT_EQ(site->line, 41);
  // A stack that never enters the allocator is no allocation site.
  EXPECT_FALSE(allocation_site({400, 500}, sym));
  // One that never leaves the runtime neither.
  EXPECT_FALSE(allocation_site({100, 200, 300}, sym));
}

TEST(AllocSite, AnInlinedFunctionIsTheSiteAtItsOwnLine) {
  // main.newThing inlined into main.main: the return address in main.main expands to two
  // logical frames, and the inner one allocated.
  std::map<uint64_t, std::vector<Frame>> fns = {
      {100, {{"runtime.mallocgc", "malloc.go", 1000}}},
      {199, {{"runtime.newobject", "malloc.go", 1700}}},
      {299, {{"main.newThing", "main.go", 12}, {"main.main", "main.go", 30}}},
  };
  auto sym = [&](uint64_t pc) { return fns.count(pc) ? fns[pc] : std::vector<Frame>{}; };
  auto site = allocation_site({100, 200, 300}, sym);
  ASSERT_TRUE(site);
  EXPECT_EQ(site->func, "main.newThing");
  EXPECT_EQ(site->line, 12);
  // A runtime function inlined into the allocator still counts as the allocator's.
  fns[100] = {{"runtime.nextFreeFast", "malloc.go", 900}, {"runtime.mallocgc", "malloc.go", 1010}};
  site = allocation_site({100, 200, 300}, sym);
  ASSERT_TRUE(site);
  EXPECT_EQ(site->func, "main.newThing");
}

}  // namespace
