// The Perfetto renderer: a report's timeline (report::Timeline) as Chrome trace-event JSON,
// which ui.perfetto.dev and chrome://tracing open.
#pragma once

#include <string>

#include "common/result.h"
#include "report/report.h"

namespace gri::report {

// The trace-event JSON of r.timeline; an error when the report has no timed events.
Result<std::string> render_perfetto(const Report& r);

}  // namespace gri::report
