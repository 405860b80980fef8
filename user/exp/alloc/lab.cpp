#include "exp/alloc/lab.h"

#include <fmt/format.h>

namespace gri::exp::alloc {

bool lab_alloc(const LabContext&) {
  fmt::print("  not built yet\n");
  return false;
}

}  // namespace gri::exp::alloc
