#include "exp/alloc/experiment.h"

namespace gri::exp::alloc {

Result<report::Report> run_alloc(const AllocOptions&,
                                 const std::function<void(const std::string&)>&) {
  return make_error("gri alloc is not built yet");
}

}  // namespace gri::exp::alloc
