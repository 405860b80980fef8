// EXP-02 gri preempt: are tight loops cut by asynchronous preemption (sysmon -> preemptone ->
// SIGURG -> asyncPreempt), how often, and how long from the signal to the switch?
#pragma once

#include <functional>
#include <string>

#include "common/result.h"
#include "report/report.h"
#include "session/traced.h"

namespace gri::exp::preempt {

struct PreemptOptions : session::TargetOptions {};

Result<report::Report> run_preempt(const PreemptOptions& options,
                                   const std::function<void(const std::string&)>& progress);

}  // namespace gri::exp::preempt
