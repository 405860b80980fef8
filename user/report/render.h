// Renderers of report::Report: text for a terminal (100 columns) and JSON (gri.report/1).
#pragma once

#include <string>

#include "report/report.h"

namespace gri::report {

std::string render_text(const Report& r);
nlohmann::ordered_json render_json(const Report& r);

}  // namespace gri::report
