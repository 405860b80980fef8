#include "report/pprof.h"

namespace gri::report {

// Placeholder while the encoder is written (issue 15); replaced before it lands.
Result<std::string> render_pprof(const Report& r) {
  return make_error("gri {}: the pprof renderer is not built yet", r.experiment);
}

}  // namespace gri::report
