// gri lab --out DIR's index.html: every verdict of the lab by experiment, one row per workload
// and verdict, one column per Go release, each cell the observed result beside the expected
// one, linking to the page of the run that gave it.
#pragma once

#include <string>
#include <vector>

#include "lab/outcomes.h"

namespace gri::lab {

std::string render_index(const Outcomes& outcomes, const std::vector<std::string>& go_versions,
                         double seconds);

}  // namespace gri::lab
