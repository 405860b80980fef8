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

// Prints every verdict beside the result its workload should produce, then a summary
// ("N of M verdicts as expected" and every unexpected one); with out_dir, also
// out_dir/lab.json. Returns false when a verdict came out other than expected or a run failed.
Result<bool> run_lab(const LabOptions& options);

}  // namespace gri::lab
