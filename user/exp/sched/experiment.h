// EXP-01 gri sched. PLACEHOLDER: being built (issue 5).
#pragma once

#include <functional>
#include <string>

#include "common/result.h"
#include "report/report.h"
#include "session/traced.h"

namespace gri::exp::sched {

struct SchedOptions : session::TargetOptions {};

Result<report::Report> run_sched(const SchedOptions& options,
                                 const std::function<void(const std::string&)>& progress);

}  // namespace gri::exp::sched
