// EXP-06 gri wb: the hybrid write barrier, per GC cycle: when it is on, how many buffer
// flushes and how many pointers they carry. Built on EXP-05's GC phase tracking.
#pragma once

#include <functional>
#include <string>

#include "common/result.h"
#include "exp/gc/experiment.h"
#include "report/report.h"

namespace gri::exp::wb {

// Same target options as gri gc (crosscheck is not used).
Result<report::Report> run_wb(gc::GcOptions options,
                              const std::function<void(const std::string&)>& progress);

}  // namespace gri::exp::wb
