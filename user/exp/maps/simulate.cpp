#include "exp/maps/simulate.h"

#include <unistd.h>

#include <chrono>
#include <map>
#include <sstream>
#include <vector>

#include <fmt/format.h>

#include "common/text_file.h"
#include "probe/child.h"

namespace gri::exp::maps {

namespace {

// cachegrind's "summary:" line, by the names on its "events:" line.
Result<Counts> cachegrind_totals(const std::string& file) {
  auto text = read_text_file(file);
  if (!text) return make_error("cachegrind wrote no {}", file);
  std::vector<std::string> events;
  std::vector<double> sums;
  std::istringstream in(*text);
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string head;
    words >> head;
    if (head == "events:") {
      for (std::string w; words >> w;) events.push_back(w);
    } else if (head == "summary:") {
      for (double x; words >> x;) sums.push_back(x);
    }
  }
  std::map<std::string, double> by;
  for (size_t i = 0; i < events.size() && i < sums.size(); i++) by[events[i]] = sums[i];
  if (!by.count("Ir") || !by.count("D1mr") || !by.count("DLmr")) {
    return make_error("{}: no Ir, D1mr and DLmr in its summary", file);
  }
  return Counts{by["Ir"], by["D1mr"] + by["D1mw"], by["DLmr"] + by["DLmw"]};
}

Result<Counts> run_one(const std::string& valgrind, const std::string& binary,
                       const std::string& phases, int n, const std::string& prefix) {
  std::string base = fmt::format("{}-{}-{}", prefix, phases == "insert" ? "insert" : phases.substr(7), n);
  std::string out = base + ".out", log = base + ".log";
  probe::ChildOptions co{{valgrind, "--tool=cachegrind", "--cache-sim=yes", "--fair-sched=yes",
                          "--D1=32768,8,64", "--LL=8388608,16,64", "--cachegrind-out-file=" + out,
                          binary, "-n", std::to_string(n), "-lookups", "1", "-phases", phases},
                         {"GOMAXPROCS=1", "GOGC=off"},
                         log,
                         log};
  auto status = probe::run_to_end(co, std::chrono::minutes(10));
  if (!status) return status.error();
  if (*status != 0) {
    return make_error("valgrind --tool=cachegrind {} {} (see {})", binary,
                      probe::describe_wait_status(*status), log);
  }
  return cachegrind_totals(out);
}

}  // namespace

std::string find_valgrind() {
  for (const char* dir : {"/usr/bin", "/usr/local/bin", "/bin"}) {
    std::string p = std::string(dir) + "/valgrind";
    if (access(p.c_str(), X_OK) == 0) return p;
  }
  return "";
}

Result<SimulatedOps> simulate_ops(const std::string& binary, int n, const std::string& prefix) {
  if (n < 2) return make_usage_error("simulate_ops: n must be at least 2, not {}", n);
  std::string valgrind = find_valgrind();
  if (valgrind.empty()) return make_error("valgrind is not installed (tools/setup installs it)");
  auto base = run_one(valgrind, binary, "insert", 1, prefix);
  if (!base) return base.error();
  auto ins = run_one(valgrind, binary, "insert", n, prefix);
  if (!ins) return ins.error();
  auto hit = run_one(valgrind, binary, "insert,hit", n, prefix);
  if (!hit) return hit.error();
  auto miss = run_one(valgrind, binary, "insert,miss", n, prefix);
  if (!miss) return miss.error();
  return SimulatedOps{(*ins - *base).per(n), (*hit - *ins).per(n), (*miss - *ins).per(n)};
}

}  // namespace gri::exp::maps
