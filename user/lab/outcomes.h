// What the lab expected and what it observed: every verdict of every lab run, beside the
// result its workload is built to produce (e.g. go-probes/sched -mode lock: EXP-01.cpu
// refuted, EXP-01.lock verified), for the summary at the end of gri lab.
#pragma once

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "report/report.h"

namespace gri::lab {

struct Outcome {
  std::string experiment;  // "EXP-01"
  std::string workload;    // "sched -mode lock"
  std::string go;          // "go1.26"
  std::string id;          // "EXP-01.cpu"
  std::string expected;    // "verified", "refuted"
  std::string observed;    // a verdict's result, or "error" when the run failed
  std::string evidence;    // the verdict's evidence, or the error
  std::string page;        // the run's HTML report, relative to the lab's folder ("": none)

  bool as_expected() const { return observed == expected; }
};

// Lab entries report here: each outcome is printed as one line, the result beside the
// expectation, and kept for the summary.
class Outcomes {
 public:
  // The experiment the next outcomes belong to ("EXP-01").
  void begin(std::string_view experiment) { experiment_ = experiment; }

  // With a folder, every run's report (report()) is kept there as an HTML page, which the
  // verdicts of that run link to.
  void keep_pages(std::string dir) { pages_dir_ = std::move(dir); }
  // Progress on stderr as runs end: "[12/64] EXP-05 go1.22 gc --crosscheck: 3.1 s; 2m10s
  // so far, about 9m40s left", `runs` being what the whole lab is expected to make.
  void expect_runs(size_t runs);

  // A run's report, before its verdicts: counted for the progress, and kept as a page.
  void report(std::string_view workload, std::string_view go, const report::Report& r);

  // "  go1.26  [refuted, as expected] EXP-01.cpu: <hypothesis>: <evidence>"
  void verdict(std::string_view workload, std::string_view go, const report::Verdict& v,
               std::string_view expected = "verified");
  // The run could not be made: observed "error", never as expected.
  void failed(std::string_view workload, std::string_view go, std::string_view message);

  const std::vector<Outcome>& all() const { return outcomes_; }
  size_t unexpected() const;

  // "N of M verdicts as expected", then every unexpected one by experiment, workload, Go.
  std::string summary() const;
  nlohmann::ordered_json json() const;

 private:
  void add(Outcome o, std::string_view hypothesis);
  // A run (experiment, workload, go) seen for the first time: the progress line.
  void ran(std::string_view workload, std::string_view go);

  std::string experiment_;
  std::vector<Outcome> outcomes_;
  std::string pages_dir_;
  std::map<std::tuple<std::string, std::string, std::string>, std::string> pages_;
  std::set<std::tuple<std::string, std::string, std::string>> runs_;
  size_t expected_runs_ = 0;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_run_ = started_;
};

}  // namespace gri::lab
