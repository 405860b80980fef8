// The experiments, in one list: adding one means adding its row here.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "report/html.h"

namespace gri::lab {
class Outcomes;
}

namespace gri::exp {

// What a lab entry gets: where the workloads are, for which toolchains, where logs go.
struct LabContext {
  std::string probes_dir;               // build/go-probes
  std::vector<std::string> go_versions;  // "go1.19", "go1.26", ...
  std::string log_dir;
};

// Runs the experiment on its workloads for every toolchain, and reports each verdict with
// the result its workload should produce (or the failure of a run) to `outcomes`.
using LabFn = void (*)(const LabContext&, lab::Outcomes& outcomes);

// The charts of the experiment's HTML page, drawn from its report's data.
using FiguresFn = std::vector<report::Figure> (*)(const report::Report& r);

struct Experiment {
  std::string_view id;       // "EXP-05"
  std::string_view command;  // "gc": gri gc, bpf/gc.bpf.c, user/exp/gc, go-probes/gc
  std::string_view question;
  int issue;                 // where it is being built (0: not filed yet)
  LabFn lab;                 // nullptr until its lab entry exists
  std::string_view built;    // what of it exists so far, when it is not complete
  FiguresFn figures;         // nullptr: the page has the tables only
  int lab_runs;              // the lab's runs per toolchain, for its progress line
};

std::span<const Experiment> experiments();

// By id ("EXP-05", case-insensitive) or command ("gc"); nullptr when unknown.
const Experiment* find_experiment(std::string_view name);

}  // namespace gri::exp
