// EXP-03 gri steal. PLACEHOLDER: being built (issue 5).
#pragma once

#include <functional>
#include <string>

#include "common/result.h"
#include "report/report.h"
#include "session/traced.h"

namespace gri::exp::steal {

struct StealOptions : session::TargetOptions {};

Result<report::Report> run_steal(const StealOptions& options,
                                 const std::function<void(const std::string&)>& progress);

}  // namespace gri::exp::steal
