// The log-linear histogram layout of bpf/preempt.h, as BPF fills it and gri reads it back.
#include "exp/preempt/histogram.h"

#include <gtest/gtest.h>

#include <vector>

#include "bpf/preempt.h"

namespace {

using gri::exp::preempt::slot_bounds;
using gri::exp::preempt::summarize;

TEST(PreemptHistogram, EveryValueLiesInItsSlotsBounds) {
  std::vector<uint64_t> values = {0, 1, 15, 16, 17, 18, 31, 32, 33, 100, 1000, 9999, 10000,
                                  10240, 12345, 20000, 1000000, (uint64_t{1} << 35) - 1};
  for (uint64_t v = 0; v < 5000; v += 7) values.push_back(v);
  for (uint64_t v : values) {
    uint32_t slot = preempt_hist_slot(v);
    ASSERT_LT(slot, static_cast<uint32_t>(PREEMPT_HIST_SLOTS)) << v;
    auto b = slot_bounds(slot);
    EXPECT_LE(b.lo_us, v) << "slot " << slot;
    EXPECT_LT(v, b.hi_us) << "slot " << slot;
    // At most 12.5% of its values wide above the linear part.
    // The last slot is open: it takes every larger value too.
    if (v >= PREEMPT_HIST_LINEAR && b.hi_us != UINT64_MAX) {
      EXPECT_LE((b.hi_us - b.lo_us) * 8, b.lo_us) << v;
    }
  }
}

TEST(PreemptHistogram, SlotsAreContiguousAndTheLastIsOpen) {
  for (uint32_t s = 1; s < PREEMPT_HIST_SLOTS - 1; s++) {
    EXPECT_EQ(slot_bounds(s - 1).hi_us, slot_bounds(s).lo_us) << s;
  }
  EXPECT_EQ(preempt_hist_slot(UINT64_MAX), static_cast<uint32_t>(PREEMPT_HIST_SLOTS - 1));
  EXPECT_EQ(preempt_hist_slot(uint64_t{1} << 40), static_cast<uint32_t>(PREEMPT_HIST_SLOTS - 1));
  EXPECT_EQ(slot_bounds(PREEMPT_HIST_SLOTS - 1).hi_us, UINT64_MAX);
}

TEST(PreemptHistogram, PercentilesInterpolateInsideTheSlot) {
  std::vector<uint64_t> slots(PREEMPT_HIST_SLOTS, 0);
  // 99 samples at 10-11 ms (slot [10240, 11264) us) and one in [5, 6) us.
  slots[preempt_hist_slot(10500)] = 99;
  slots[5] = 1;
  auto s = summarize(slots);
  EXPECT_EQ(s.count, 100u);
  ASSERT_EQ(s.buckets.size(), 2u);
  EXPECT_EQ(s.buckets[0].lo_us, 5u);
  EXPECT_EQ(s.buckets[1].lo_us, 10240u);
  EXPECT_EQ(s.buckets[1].hi_us, 11264u);
  ASSERT_TRUE(s.p50_us && s.p99_us);
  EXPECT_GT(*s.p50_us, 10240);
  EXPECT_LT(*s.p50_us, 11264);
  EXPECT_LE(*s.p50_us, *s.p99_us);
  EXPECT_LE(*s.p99_us, 11264);
  auto j = gri::exp::preempt::to_json(s, 1000);
  EXPECT_EQ(j["count"], 100);
  EXPECT_DOUBLE_EQ(j["hist"][1]["lo"].get<double>(), 10.24);
}

TEST(PreemptHistogram, NoSamplesNoPercentiles) {
  std::vector<uint64_t> slots(PREEMPT_HIST_SLOTS, 0);
  auto s = summarize(slots);
  EXPECT_EQ(s.count, 0u);
  EXPECT_FALSE(s.p50_us);
  auto j = gri::exp::preempt::to_json(s, 1);
  EXPECT_TRUE(j["p50"].is_null());
  EXPECT_TRUE(j["hist"].empty());
}

}  // namespace
