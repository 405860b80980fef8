#include "exp/preempt/experiment.h"

namespace gri::exp::preempt {

Result<report::Report> run_preempt(const PreemptOptions&,
                                 const std::function<void(const std::string&)>&) {
  return make_error("gri preempt is not built yet");
}

}  // namespace gri::exp::preempt
