// EXP-04 gri alloc. PLACEHOLDER: being built (issue 7).
#pragma once

#include <functional>
#include <string>

#include "common/result.h"
#include "report/report.h"
#include "session/traced.h"

namespace gri::exp::alloc {

struct AllocOptions : session::TargetOptions {};

Result<report::Report> run_alloc(const AllocOptions& options,
                                 const std::function<void(const std::string&)>& progress);

}  // namespace gri::exp::alloc
