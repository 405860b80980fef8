#include "probe/go_uprobe.h"

#include <bpf/libbpf.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "goelf/disasm.h"

namespace gri::probe {

namespace {
// No Go function body is anywhere near this; a bigger size is a corrupt table.
constexpr uint64_t kMaxFunctionBytes = 16 << 20;
}  // namespace

Result<ProbePoint> resolve_probe_point(const goelf::GoBinary& bin, std::string_view function) {
  auto fn = bin.find_function(function);
  if (!fn) {
    return make_error("cannot resolve {} in {}: not in its function table (inlined, or not in {})",
                      function, bin.path(), bin.build().go_version);
  }
  if (fn->size == 0 || fn->size > kMaxFunctionBytes) {
    return make_error("{} in {}: implausible size {}", function, bin.path(), fn->size);
  }
  const goelf::ElfFile& elf = bin.elf();
  auto code = elf.read(fn->addr, fn->size);
  if (!code) return code.error();
  auto prologue = goelf::find_prologue(elf.arch(), *code, fn->addr);
  if (!prologue) return make_error("{} in {}: {}", function, bin.path(), prologue.error().message);
  auto rets = goelf::find_returns(elf.arch(), *code, fn->addr);
  if (!rets) return make_error("{} in {}: {}", function, bin.path(), rets.error().message);
  auto off = elf.file_offset(fn->addr + prologue->entry_offset);
  if (!off) return off.error();
  return ProbePoint{fn->addr, fn->size, prologue->entry_offset, *off, prologue->stack_check,
                    std::move(*rets)};
}

Result<std::vector<Link>> attach_go_entries(const goelf::GoBinary& bin,
                                            std::span<const GoEntryProbe> probes, pid_t pid) {
  const goelf::ElfFile& elf = bin.elf();
  std::vector<Link> links;
  for (const GoEntryProbe& p : probes) {
    auto point = resolve_probe_point(bin, p.function);
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
