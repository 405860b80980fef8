// The pprof renderer: a report's profile (report::Profile) as profile.proto, gzip-compressed,
// the format `go tool pprof` reads.
#pragma once

#include <string>

#include "common/result.h"
#include "report/report.h"

namespace gri::report {

// The gzip-compressed profile.proto of r.profile; an error when the report has none.
Result<std::string> render_pprof(const Report& r);

}  // namespace gri::report
