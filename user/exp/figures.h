// The figures of a report's HTML page: each experiment draws its own from its report's data
// (exp/<name>/figures.cpp), gri trace its latency histograms (trace/figures.cpp).
#pragma once

#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "report/html.h"
#include "report/report.h"
#include "report/svg.h"

namespace gri::exp {

using Figures = std::vector<report::Figure>;

// The report's figures, by its experiment; none for one that draws nothing.
Figures figures(const report::Report& r);

// A figure with its id set.
inline report::Figure with_id(std::string id, report::Figure f) {
  f.id = std::move(id);
  return f;
}

// j[key] as a number; 0 when it is missing or null (a figure draws what there is).
inline double num(const nlohmann::ordered_json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : 0.0;
}

// Histogram buckets from [{lo_key, hi_key, count}...]; an open last bucket (hi null) is drawn
// one bucket-width (at least twice its lower bound) wide.
report::svg::Bucket bucket(const nlohmann::ordered_json& b, const char* lo_key, const char* hi_key);
std::vector<report::svg::Bucket> buckets(const nlohmann::ordered_json& hist, const char* lo_key,
                                         const char* hi_key);

namespace sched { Figures figures(const report::Report& r); }
namespace preempt { Figures figures(const report::Report& r); }
namespace steal { Figures figures(const report::Report& r); }
namespace alloc { Figures figures(const report::Report& r); }
namespace gc { Figures figures(const report::Report& r); }
namespace wb { Figures figures(const report::Report& r); }
namespace maps { Figures figures(const report::Report& r); }
namespace timers { Figures figures(const report::Report& r); }

}  // namespace gri::exp
