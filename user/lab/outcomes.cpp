#include "lab/outcomes.h"

#include <fmt/format.h>

namespace gri::lab {

void Outcomes::add(Outcome o, std::string_view hypothesis) {
  std::string tag = o.as_expected() ? fmt::format("[{}, as expected]", o.observed)
                                    : fmt::format("[{}, EXPECTED {}]", o.observed, o.expected);
  std::string what = hypothesis.empty() ? o.id : fmt::format("{}: {}", o.id, hypothesis);
  fmt::print("  {:<7} {} {}: {}\n", o.go, tag, what, o.evidence);
  std::fflush(stdout);
  outcomes_.push_back(std::move(o));
}

void Outcomes::verdict(std::string_view workload, std::string_view go, const report::Verdict& v,
                       std::string_view expected) {
  add({experiment_, std::string(workload), std::string(go), v.id, std::string(expected), v.result,
       v.evidence},
      v.hypothesis);
}

void Outcomes::failed(std::string_view workload, std::string_view go, std::string_view message) {
  add({experiment_, std::string(workload), std::string(go), experiment_ + ".run", "verified",
       "error", std::string(message)},
      fmt::format("{} ran", workload));
}

size_t Outcomes::unexpected() const {
  size_t n = 0;
  for (const Outcome& o : outcomes_) n += !o.as_expected();
  return n;
}

std::string Outcomes::summary() const {
  std::string out = fmt::format("{} of {} verdicts as expected\n", outcomes_.size() - unexpected(),
                                outcomes_.size());
  for (const Outcome& o : outcomes_) {
    if (o.as_expected()) continue;
    out += fmt::format("  unexpected: {} {} {}: {} {}, expected {}: {}\n", o.experiment, o.workload,
                       o.go, o.id, o.observed, o.expected, o.evidence);
  }
  return out;
}

nlohmann::ordered_json Outcomes::json() const {
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const Outcome& o : outcomes_) {
    rows.push_back({{"experiment", o.experiment}, {"workload", o.workload}, {"go", o.go},
                    {"id", o.id}, {"expected", o.expected}, {"observed", o.observed},
                    {"as_expected", o.as_expected()}, {"evidence", o.evidence}});
  }
  return {{"schema", "gri.lab/1"},
          {"verdicts", outcomes_.size()},
          {"as_expected", outcomes_.size() - unexpected()},
          {"outcomes", std::move(rows)}};
}

}  // namespace gri::lab
