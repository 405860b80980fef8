// gri trace's pure parts: percentiles from log2 histograms, closest function names.
#include "trace/trace.h"

#include <gtest/gtest.h>

#include "go_probes.h"

namespace {

using gri::trace::log2_percentile;

TEST(TracePercentile, UpperBoundOfTheBucketHoldingTheRank) {
  std::vector<uint64_t> slots(64, 0);
  EXPECT_EQ(log2_percentile(slots, 0.5), 0u) << "empty";
  slots[10] = 90;  // [1024, 2048) ns
  slots[20] = 10;  // [1 Mi, 2 Mi) ns
  EXPECT_EQ(log2_percentile(slots, 0.50), 2048u);
  EXPECT_EQ(log2_percentile(slots, 0.89), 2048u);
  EXPECT_EQ(log2_percentile(slots, 0.90), uint64_t{1} << 21);
  EXPECT_EQ(log2_percentile(slots, 0.99), uint64_t{1} << 21);
  EXPECT_EQ(log2_percentile(slots, 1.0), uint64_t{1} << 21);
}

TEST(TraceClosest, SuggestsNamesThatContainOrResembleWhatWasTyped) {
  auto bin = gri::goelf::GoBinary::open(gri::test::probe_path("go1.26", "trace"));
  ASSERT_TRUE(bin) << bin.error().message;
  auto typo = gri::trace::closest_functions(*bin, "main.wrk");
  ASSERT_FALSE(typo.empty());
  EXPECT_EQ(typo[0], "main.work");
  auto part = gri::trace::closest_functions(*bin, "gcStart", 1);
  ASSERT_EQ(part.size(), 1u);
  EXPECT_EQ(part[0], "runtime.gcStart");
}

}  // namespace
