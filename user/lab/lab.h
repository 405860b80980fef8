// gri lab: runs the experiments on the bundled workloads (go-probes) of every Go
// toolchain they were built with, and prints each report.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"

namespace gri::lab {

struct LabOptions {
  std::vector<std::string> experiments;  // ids or commands; empty or "all": every one
  std::vector<std::string> go_versions;  // "1.26" or "go1.26"; empty: every one built
  std::string probes_dir;                // build/go-probes; empty: beside the gri binary
  std::string out_dir;                   // where to keep logs; empty: nowhere
};

// Returns false when an experiment that ran failed its verdicts or could not run.
Result<bool> run_lab(const LabOptions& options);

}  // namespace gri::lab
