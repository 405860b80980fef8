// The log-linear histograms of bpf/preempt.h read back: slot bounds, percentiles, JSON.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include <nlohmann/json.hpp>

namespace gri::exp::preempt {

// One slot: values v with lo_us <= v < hi_us.
struct Bucket {
  uint64_t lo_us = 0;
  uint64_t hi_us = 0;
  uint64_t count = 0;
};

// The bounds of slot `slot` of the layout in bpf/preempt.h (count 0).
Bucket slot_bounds(uint32_t slot);

struct Summary {
  uint64_t count = 0;
  std::optional<double> p50_us, p99_us;  // none without samples
  std::vector<Bucket> buckets;           // the slots with samples, in order
};

// Percentiles interpolated linearly inside the slot they fall in (as Prometheus'
// histogram_quantile does); a slot is at most 12.5% of its values wide above 16 us.
Summary summarize(std::span<const uint64_t> slots);

// {"p50", "p99", "count", "hist": [{"lo", "hi", "count"}...]} in `unit_us` units (1: us,
// 1000: ms); p50/p99 null without samples.
nlohmann::ordered_json to_json(const Summary& s, double unit_us);

}  // namespace gri::exp::preempt
