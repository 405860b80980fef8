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
  bool push = goelf::starts_with_push(
      elf.arch(), std::span<const uint8_t>(*code).subspan(std::min<size_t>(prologue->entry_offset,
                                                                              code->size())));
  // x86-64 only: arm64 has no flags in the uprobe's registers that go_entry_repeats reads.
  bool on_jump = prologue->stack_check && !push && elf.arch() == goelf::Arch::kX86_64;
  uint64_t probe_offset = on_jump ? prologue->check_jump_offset : prologue->entry_offset;
  auto off = elf.file_offset(fn->addr + probe_offset);
  if (!off) return off.error();
  ProbePoint point;
  point.addr = fn->addr;
  point.size = fn->size;
  point.entry_offset = prologue->entry_offset;
  point.probe_offset = probe_offset;
  point.file_offset = *off;
  point.stack_check = prologue->stack_check;
  point.on_check_jump = on_jump;
  point.entry_emulated = push || on_jump;
  point.ret_offsets = std::move(*rets);
  return point;
}

Result<Link> attach_entry(bpf_program* program, const goelf::GoBinary& bin,
                          std::string_view function, const ProbePoint& point, uint64_t cookie,
                          pid_t pid) {
  return attach_uprobe(program, bin, point.file_offset, point.cookie(cookie),
                       fmt::format("{}+{:#x}{}", function, point.probe_offset,
                                   point.on_check_jump ? " (stack check's JBE)" : ""),
                       pid);
}

Result<Link> attach_uprobe(bpf_program* program, const goelf::GoBinary& bin, uint64_t file_offset,
                           uint64_t cookie, std::string_view what, pid_t pid) {
  LIBBPF_OPTS(bpf_uprobe_opts, opts, .bpf_cookie = cookie);
  bpf_link* link =
      bpf_program__attach_uprobe_opts(program, pid, bin.path().c_str(), file_offset, &opts);
  if (!link) {
    int err = errno;
    return make_error("cannot attach {} to {} in {} (file offset {:#x}): {}",
                      bpf_program__name(program), what, bin.path(), file_offset, strerror(err));
  }
  return Link(link);
}

Result<std::vector<Link>> attach_entry_and_returns(const goelf::GoBinary& bin,
                                                   std::string_view function, bpf_program* entry,
                                                   bpf_program* ret, uint64_t cookie, pid_t pid) {
  auto point = resolve_probe_point(bin, function);
  if (!point) return point.error();
  std::vector<Link> links;
  auto link = attach_entry(entry, bin, function, *point, cookie, pid);
  if (!link) return link.error();
  links.push_back(std::move(*link));
  for (uint64_t r : point->ret_offsets) {
    auto off = bin.elf().file_offset(point->addr + r);
    if (!off) return off.error();
    link = attach_uprobe(ret, bin, *off, cookie, fmt::format("{}+{:#x} (RET)", function, r), pid);
    if (!link) return link.error();
    links.push_back(std::move(*link));
  }
  return links;
}

Result<std::vector<Link>> attach_go_entries(const goelf::GoBinary& bin,
                                            std::span<const GoEntryProbe> probes, pid_t pid) {
  std::vector<Link> links;
  for (const GoEntryProbe& p : probes) {
    auto point = resolve_probe_point(bin, p.function);
    if (!point) return point.error();
    auto link = attach_entry(p.program, bin, p.function, *point, 0, pid);
    if (!link) return link.error();
    links.push_back(std::move(*link));
  }
  return links;
}

}  // namespace gri::probe
