// EXP-08's heap shape check and lateness buckets, on arrays built here.
#include "exp/timers/heap.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "exp/timers/probes.h"

namespace {

using gri::exp::timers::heap_shape;

// A k-ary min-heap of n random whens, built by sifting up as the runtime adds (go1.19
// siftupTimer, go1.26 (*timers).siftUp).
std::vector<int64_t> heap_of(int k, size_t n, uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<int64_t> h;
  for (size_t i = 0; i < n; i++) {
    h.push_back(static_cast<int64_t>(rng() % 1000000));
    for (size_t c = h.size() - 1; c > 0 && h[(c - 1) / k] > h[c]; c = (c - 1) / k) {
      std::swap(h[(c - 1) / k], h[c]);
    }
  }
  return h;
}

TEST(TimersHeap, AFourAryHeapOfThousandsIsFourAryAlone) {
  auto s = heap_shape(heap_of(4, 5000, 1));
  EXPECT_EQ(s.arities, std::vector<int>{4});
  EXPECT_EQ(s.violations4, 0u);
}

TEST(TimersHeap, OtherAritiesAreToldApart) {
  for (int k : {2, 3, 8}) {
    auto s = heap_shape(heap_of(k, 5000, 2));
    EXPECT_EQ(s.arities, std::vector<int>{k}) << k;
    EXPECT_GT(s.violations4, 0u) << k;
  }
}

TEST(TimersHeap, ASortedArrayFitsEveryArity) {
  std::vector<int64_t> sorted(100);
  for (size_t i = 0; i < sorted.size(); i++) sorted[i] = static_cast<int64_t>(i);
  EXPECT_EQ(heap_shape(sorted).arities, (std::vector<int>{2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(heap_shape({}).arities.size(), 7u);
}

TEST(TimersHeap, OneEntryOutOfOrderIsCounted) {
  auto h = heap_of(4, 1000, 3);
  h[500] = -1;  // due before its parent
  auto s = heap_shape(h);
  EXPECT_EQ(s.violations4, 1u);
  EXPECT_TRUE(std::find(s.arities.begin(), s.arities.end(), 4) == s.arities.end());
}

// bpf/timers.h: 0-7 ns exactly, then 8 buckets per power of two (8 ns is bucket 8).
TEST(TimersLateness, BucketsTileTheLineAndAreAtMostOneEighthWide) {
  using gri::exp::timers::late_bucket_range;
  for (uint32_t b = 0; b + 1 < 400; b++) {
    auto [lo, width] = late_bucket_range(b);
    EXPECT_EQ(late_bucket_range(b + 1).first, lo + width) << b;
    if (b >= 8) {
      EXPECT_LE(width * 8, lo) << b;
    }
  }
  EXPECT_EQ(late_bucket_range(8), (std::pair<uint64_t, uint64_t>{8, 1}));
  EXPECT_EQ(late_bucket_range(16), (std::pair<uint64_t, uint64_t>{16, 2}));
  EXPECT_EQ(late_bucket_range(8 * 10), (std::pair<uint64_t, uint64_t>{4096, 512}));
}

}  // namespace
