#include "exp/steal/experiment.h"

namespace gri::exp::steal {

Result<report::Report> run_steal(const StealOptions&,
                                 const std::function<void(const std::string&)>&) {
  return make_error("gri steal is not built yet");
}

}  // namespace gri::exp::steal
