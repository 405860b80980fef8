#include "exp/sched/lab.h"

#include <fmt/format.h>

namespace gri::exp::sched {

bool lab_sched(const LabContext&) {
  fmt::print("  not built yet\n");
  return false;
}

}  // namespace gri::exp::sched
