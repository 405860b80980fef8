#include "exp/gc/gctrace.h"

#include <gtest/gtest.h>

namespace {

using gri::exp::gc::parse_gctrace;

TEST(Gctrace, ParsesCyclesOfGo119AndGo126) {
  // Lines as go1.19 and go1.26 print them (go-probes/gc, GODEBUG=gctrace=1).
  const char* text =
      "gc 1 @0.000s 11%: 0.10+0.27+0.009 ms clock, 0.21+0.075/0.075/0+0.019 ms cpu, 3->4->4 MB, "
      "4 MB goal, 0 MB stacks, 0 MB globals, 2 P\n"
      "gc-probe: forced=20 numgc=58 numforcedgc=20\n"
      "gc 2 @0.003s 9%: 0.024+0.22+0.002 ms clock, 0.048+0.055/0.057/0.019+0.004 ms cpu, "
      "6->6->4 MB, 10 MB goal, 2 P (forced)\n"
      "scvg: 0 MB released\n"
      "gc 17 @1.5s 1%: 0.01+0.2+0.003 ms clock, 0+0/0/0+0 ms cpu, 1->1->0 MB, 4 MB goal, 2 P";
  auto cycles = parse_gctrace(text);
  ASSERT_EQ(cycles.size(), 3u);
  EXPECT_EQ(cycles[0].n, 1u);
  EXPECT_FALSE(cycles[0].forced);
  EXPECT_EQ(cycles[1].n, 2u);
  EXPECT_TRUE(cycles[1].forced);
  EXPECT_EQ(cycles[2].n, 17u);
  EXPECT_EQ(cycles[0].heap0_mb, 3u);
  EXPECT_EQ(cycles[0].heap1_mb, 4u);
  EXPECT_EQ(cycles[0].heap2_mb, 4u);
  EXPECT_EQ(cycles[0].goal_mb, 4u);
  EXPECT_EQ(cycles[1].heap0_mb, 6u);
  EXPECT_EQ(cycles[1].goal_mb, 10u);
  ASSERT_TRUE(cycles[0].clock_ms[2]);
  EXPECT_DOUBLE_EQ(*cycles[0].clock_ms[0], 0.10);
  EXPECT_DOUBLE_EQ(*cycles[0].clock_ms[1], 0.27);
  EXPECT_DOUBLE_EQ(*cycles[0].clock_ms[2], 0.009);
  EXPECT_EQ(cycles[0].clock_decimals[2], 3);
  ASSERT_TRUE(cycles[0].assist_cpu_ms);  // 0.21+0.075/0.075/0+0.019 ms cpu
  EXPECT_DOUBLE_EQ(*cycles[0].assist_cpu_ms, 0.075);
  EXPECT_EQ(cycles[0].assist_decimals, 3);
}

TEST(Gctrace, IgnoresLinesThatOnlyLookAlike) {
  EXPECT_TRUE(parse_gctrace("gc x @0.1s\ngc 3 without time\ngc-probe: x\n gc 1 @0s\n").empty());
}

}  // namespace

namespace {

TEST(Gctrace, MarksALastLineCutShortByTheExit) {
  // A program that exits right after runtime.GC can cut the line the runtime is printing.
  auto cycles = parse_gctrace(
      "gc 28 @0.006s 18%: 0.1+0.2+0.01 ms clock, 0.2+0/0.1/0+0.02 ms cpu, 64->64->0 MB, 128 MB "
      "goal, 0 MB stacks, 0 MB globals, 2 P (forced)\n"
      "gc 29 @0.007s 19%: 0.1+0.2+0.01 ms clock, 0.2+0/0.1/0+0.02 ms cpu, 64->64");
  ASSERT_EQ(cycles.size(), 2u);
  EXPECT_TRUE(cycles[0].complete);
  EXPECT_FALSE(cycles[1].complete);
  EXPECT_EQ(cycles[1].n, 29u);
  EXPECT_FALSE(cycles[1].goal_mb);
}

}  // namespace
