#include "probe/go_uprobe.h"

#include <bpf/libbpf.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "goelf/prologue.h"

namespace gri::probe {

namespace {
// Enough bytes for every stack-check shape (see goelf/prologue.h).
constexpr size_t kPrologueBytes = 64;
}  // namespace

Result<ProbePoint> resolve_entry(const goelf::ElfFile& elf, std::string_view function) {
  const goelf::Symbol* sym = elf.find_function(function);
  if (!sym) {
    return make_error("cannot resolve {} in {}: {}", function, elf.path(),
                      elf.has_symtab() ? "not in .symtab (inlined or not in this Go version?)"
                                       : "the binary has no .symtab (stripped)");
  }
  size_t n = sym->size ? std::min<size_t>(sym->size, kPrologueBytes) : kPrologueBytes;
  auto code = elf.read(sym->addr, n);
  if (!code) return code.error();
  auto prologue = goelf::find_prologue(elf.arch(), *code, sym->addr);
  if (!prologue) return make_error("{} in {}: {}", function, elf.path(), prologue.error().message);
  auto off = elf.file_offset(sym->addr + prologue->entry_offset);
  if (!off) return off.error();
  return ProbePoint{sym->addr, prologue->entry_offset, *off};
}

Result<std::vector<Link>> attach_go_entries(const goelf::ElfFile& elf,
                                            std::span<const GoEntryProbe> probes, pid_t pid) {
  std::vector<Link> links;
  for (const GoEntryProbe& p : probes) {
    auto point = resolve_entry(elf, p.function);
    if (!point) return point.error();
    bpf_link* link = bpf_program__attach_uprobe(p.program, false, pid, elf.path().c_str(),
                                                point->file_offset);
    if (!link) {
      int err = errno;
      return make_error("cannot attach {} to {}+{:#x} in {} (file offset {:#x}): {}",
                        bpf_program__name(p.program), p.function, point->entry_offset,
                        elf.path(), point->file_offset, strerror(err));
    }
    links.emplace_back(link);
  }
  return links;
}

}  // namespace gri::probe
