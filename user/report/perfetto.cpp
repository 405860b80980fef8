#include "report/perfetto.h"

namespace gri::report {

// Placeholder while the renderer is written (issue 15); replaced before it lands.
Result<std::string> render_perfetto(const Report& r) {
  return make_error("gri {}: the Perfetto renderer is not built yet", r.experiment);
}

}  // namespace gri::report
