#include "exp/preempt/histogram.h"

#include "bpf/preempt.h"

namespace gri::exp::preempt {

Bucket slot_bounds(uint32_t slot) {
  if (slot < PREEMPT_HIST_LINEAR) return {slot, slot + 1, 0};
  uint32_t e = 4 + (slot - PREEMPT_HIST_LINEAR) / PREEMPT_HIST_SUB;
  uint64_t k = (slot - PREEMPT_HIST_LINEAR) % PREEMPT_HIST_SUB;
  uint64_t step = uint64_t{1} << (e - PREEMPT_HIST_SUB_BITS);
  Bucket b{(PREEMPT_HIST_SUB + k) * step, (PREEMPT_HIST_SUB + k + 1) * step, 0};
  if (slot == PREEMPT_HIST_SLOTS - 1) b.hi_us = UINT64_MAX;  // everything larger lands here
  return b;
}

namespace {

double quantile(const std::vector<Bucket>& buckets, uint64_t count, double q) {
  double rank = q * static_cast<double>(count);
  uint64_t below = 0;
  for (const Bucket& b : buckets) {
    if (static_cast<double>(below + b.count) >= rank) {
      double lo = static_cast<double>(b.lo_us);
      // The last slot is open: its lower bound is all that is known.
      if (b.hi_us == UINT64_MAX) return lo;
      double within = (rank - static_cast<double>(below)) / static_cast<double>(b.count);
      return lo + within * static_cast<double>(b.hi_us - b.lo_us);
    }
    below += b.count;
  }
  return static_cast<double>(buckets.back().hi_us);
}

}  // namespace

Summary summarize(std::span<const uint64_t> slots) {
  Summary s;
  for (uint32_t i = 0; i < slots.size(); i++) {
    if (!slots[i]) continue;
    Bucket b = slot_bounds(i);
    b.count = slots[i];
    s.count += b.count;
    s.buckets.push_back(b);
  }
  if (s.count) {
    s.p50_us = quantile(s.buckets, s.count, 0.50);
    s.p99_us = quantile(s.buckets, s.count, 0.99);
  }
  return s;
}

nlohmann::ordered_json to_json(const Summary& s, double unit_us) {
  auto value = [&](const std::optional<double>& us) -> nlohmann::ordered_json {
    if (!us) return nullptr;
    return *us / unit_us;
  };
  nlohmann::ordered_json hist = nlohmann::ordered_json::array();
  for (const Bucket& b : s.buckets) {
    nlohmann::ordered_json hi = nullptr;  // the open last slot
    if (b.hi_us != UINT64_MAX) hi = static_cast<double>(b.hi_us) / unit_us;
    hist.push_back({{"lo", static_cast<double>(b.lo_us) / unit_us}, {"hi", hi}, {"count", b.count}});
  }
  return {{"p50", value(s.p50_us)}, {"p99", value(s.p99_us)}, {"count", s.count}, {"hist", hist}};
}

}  // namespace gri::exp::preempt
