#include "goelf/go_binary.h"

namespace gri::goelf {

Result<GoBinary> GoBinary::open(const std::string& path) {
  auto elf = ElfFile::open(path);
  if (!elf) return elf.error();
  auto build = read_buildinfo(*elf);
  if (!build) return build.error();
  auto pcln = read_pclntab(*elf);
  if (!pcln) return pcln.error();
  return GoBinary(std::move(*elf), std::move(*build), std::move(*pcln));
}

std::optional<Function> GoBinary::find_function(std::string_view name) const {
  if (const PclnFunction* f = pclntab_.find(name)) {
    return Function{f->name, f->entry, f->end - f->entry};
  }
  return std::nullopt;
}

}  // namespace gri::goelf
