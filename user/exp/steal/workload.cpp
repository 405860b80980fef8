#include "exp/steal/workload.h"

#include <charconv>
#include <string>

#include <fmt/format.h>

namespace gri::exp::steal {

namespace {

// The text after "key=" up to the next space, in `line`.
std::string_view field(std::string_view line, std::string_view key) {
  std::string k = std::string(key) + "=";
  size_t at = line.find(" " + k);
  if (at == std::string_view::npos) return {};
  std::string_view rest = line.substr(at + 1 + k.size());
  return rest.substr(0, rest.find_first_of(" \n"));
}

template <typename T>
bool number(std::string_view s, T& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

std::optional<SpawnerRun> parse_spawner_run(std::string_view text) {
  size_t at = text.rfind("steal-probe: ");
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view line = text.substr(at);
  line = line.substr(0, line.find('\n'));
  SpawnerRun r;
  // from_chars of double is in libstdc++ 11+.
  if (!number(field(line, "created"), r.created) || !number(field(line, "ran"), r.ran) ||
      !number(field(line, "gomaxprocs"), r.gomaxprocs) ||
      !number(field(line, "spawner_p"), r.spawner_p) ||
      !number(field(line, "spawner_share"), r.spawner_share)) {
    return std::nullopt;
  }
  number(field(line, "process_created"), r.process_created);  // absent in older lines
  return r;
}

uint64_t stealable(const SpawnerRun& run) {
  return run.process_created > 0 ? static_cast<uint64_t>(run.process_created)
                                 : run.created + kRuntimeGoroutines;
}

SpawnerColumn spawner_column(const report::Report& r, int spawner_p) {
  SpawnerColumn c;
  if (!r.data.contains("steal_matrix")) return c;
  for (const auto& row : r.data["steal_matrix"]) {
    for (size_t j = 0; j < row.size(); j++) {
      uint64_t v = row[j].get<uint64_t>();
      c.total += v;
      if (static_cast<int>(j) == spawner_p) c.from_spawner += v;
    }
  }
  return c;
}

report::Verdict spawner_verdict(const report::Report& r, const SpawnerRun& run) {
  SpawnerColumn c = spawner_column(r, run.spawner_p);
  uint64_t stolen = r.data.value("stolen_goroutines", uint64_t{0});
  report::Verdict v{"EXP-03.victim",
                    "the P that creates the goroutines is the one robbed: its column holds at least "
                    "80% of the stolen goroutines, and no more are stolen than were created",
                    "", ""};
  if (c.total == 0) {
    v.result = "inconclusive";
    v.evidence = fmt::format("no goroutine stolen ({} created)", run.created);
    return v;
  }
  double share = static_cast<double>(c.from_spawner) / static_cast<double>(c.total);
  v.result = share >= 0.8 && stolen <= stealable(run) ? "verified" : "refuted";
  v.evidence = fmt::format("{} of {} stolen goroutines ({:.1f}%) came from P{}, where the spawner "
                           "created {:.1f}% of its {} goroutines; {} stolen of {} the process {}",
                           c.from_spawner, c.total, 100 * share, run.spawner_p,
                           100 * run.spawner_share, run.created, stolen, stealable(run),
                           run.process_created > 0
                               ? "created (runtime/metrics)"
                               : "created at most (no runtime count before Go 1.26)");
  return v;
}

}  // namespace gri::exp::steal
