// EXP-08 in gri lab: gri timers --locks on go-probes/timers with every toolchain, beside the
// same rounds on the workload's global-mutex baseline (-impl global).
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "exp/registry.h"

namespace gri::exp::timers {

// The "key=value" words of go-probes/timers' output lines that start with `prefix`
// ("timers-probe:", "late_us", "lock ").
std::map<std::string, std::string> workload_fields(std::string_view text, std::string_view prefix);

void lab_timers(const LabContext& ctx, lab::Outcomes& outcomes);

}  // namespace gri::exp::timers
