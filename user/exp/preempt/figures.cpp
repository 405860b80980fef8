// EXP-02's charts: signal-to-preemption latency and slice lengths as histograms.
#include "exp/figures.h"

namespace gri::exp::preempt {

Figures figures(const report::Report& r) {
  Figures out;
  auto hist = [&](const char* id, const char* title, const nlohmann::ordered_json& j,
                  const char* unit, std::string caption) {
    if (!j.is_object() || !j.contains("hist") || j["hist"].empty()) return;
    auto q = [&](const char* k) {
      return j.contains(k) && j[k].is_number() ? report::svg::short_number(j[k].get<double>()) : "-";
    };
    out.push_back(with_id(id, report::svg::histogram(
                                  title,
                                  fmt::format("{} ({} in all; p50 {}, p99 {} {}).", caption,
                                              j.value("count", 0), q("p50"), q("p99"), unit),
                                  {unit, "count", true}, buckets(j["hist"], "lo", "hi"))));
  };
  const auto& lat = r.data.value("latency_us", nlohmann::ordered_json::object());
  hist("preempt-latency", "Signal to async preemption", lat, "us",
       "From the SIGURG queued to runtime.asyncPreempt2");
  if (lat.contains("queued_to_delivered")) {
    hist("preempt-delivery", "Signal queued to delivered", lat["queued_to_delivered"], "us",
         "From the SIGURG sent to its delivery to the thread");
  }
  if (lat.contains("delivered_to_preempted")) {
    hist("preempt-handler", "Signal delivered to preempted", lat["delivered_to_preempted"], "us",
         "From the delivery to runtime.asyncPreempt2");
  }
  hist("preempt-slices", "Time slices", r.data.value("slice_ms", nlohmann::ordered_json::object()),
       "ms", "How long goroutines ran before each preemption");
  return out;
}

}  // namespace gri::exp::preempt
