#include "exp/figures.h"

#include <algorithm>

#include "exp/registry.h"
#include "trace/figures.h"

namespace gri::exp {

Figures figures(const report::Report& r) {
  if (r.experiment == "trace") return trace::figures(r);
  const Experiment* e = find_experiment(r.experiment);
  return e && e->figures ? e->figures(r) : Figures{};
}

report::svg::Bucket bucket(const nlohmann::ordered_json& b, const char* lo_key, const char* hi_key) {
  double lo = num(b, lo_key);
  double hi = b.contains(hi_key) && b[hi_key].is_number() ? b[hi_key].get<double>() : std::max(lo * 2, lo + 1);
  return {lo, hi, num(b, "count")};
}

std::vector<report::svg::Bucket> buckets(const nlohmann::ordered_json& hist, const char* lo_key,
                                         const char* hi_key) {
  std::vector<report::svg::Bucket> out;
  if (!hist.is_array()) return out;
  for (const auto& b : hist) out.push_back(bucket(b, lo_key, hi_key));
  return out;
}

}  // namespace gri::exp
