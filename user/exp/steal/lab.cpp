#include "exp/steal/lab.h"

#include <fmt/format.h>

namespace gri::exp::steal {

bool lab_steal(const LabContext&) {
  fmt::print("  not built yet\n");
  return false;
}

}  // namespace gri::exp::steal
