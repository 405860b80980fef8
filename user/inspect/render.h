// gri inspect's renderers: text for the terminal (100 columns) and JSON (gri.inspect/1).
#pragma once

#include <string>

#include <nlohmann/json_fwd.hpp>

#include "inspect/inspect.h"

namespace gri::inspect {

std::string render_text(const Inspection& in);
nlohmann::ordered_json to_json(const Inspection& in);

}  // namespace gri::inspect
