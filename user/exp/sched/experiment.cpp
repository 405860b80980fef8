#include "exp/sched/experiment.h"

namespace gri::exp::sched {

Result<report::Report> run_sched(const SchedOptions&,
                                 const std::function<void(const std::string&)>&) {
  return make_error("gri sched is not built yet");
}

}  // namespace gri::exp::sched
