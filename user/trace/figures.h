// gri trace's figures: each function's latency histogram.
#pragma once

#include <vector>

#include "report/html.h"
#include "report/report.h"

namespace gri::trace {

std::vector<report::Figure> figures(const report::Report& r);

}  // namespace gri::trace
