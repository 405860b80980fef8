#include "exp/preempt/lab.h"

#include <fmt/format.h>

namespace gri::exp::preempt {

bool lab_preempt(const LabContext&) {
  fmt::print("  not built yet\n");
  return false;
}

}  // namespace gri::exp::preempt
