// Timed events in the report model, for the Perfetto renderer (perfetto.h). Times are the
// target's CLOCK_MONOTONIC in nanoseconds (bpf_ktime_get_ns, and Go's nanotime on Linux).
#pragma once

namespace gri::report {

struct Timeline {};

}  // namespace gri::report
