#include "goelf/globals.h"

#include <algorithm>
#include <initializer_list>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "goelf/disasm.h"

namespace gri::goelf {

namespace {

const std::initializer_list<CodeRef> kCodeRefs = {
#include "goelf/globals_table.inc"
};

// The sections the Go linker puts package variables in (cmd/link/internal/ld/data.go,
// go1.19-1.27; .go.module from go1.26 holds firstmoduledata).
constexpr std::string_view kDataSections[] = {".noptrdata", ".data", ".bss", ".noptrbss",
                                              ".go.module"};

bool is_data_section(const Section& s) {
  return std::find(std::begin(kDataSections), std::end(kDataSections), s.name) !=
         std::end(kDataSections);
}

const Section* data_section_at(const ElfFile& elf, uint64_t addr) {
  for (const Section& s : elf.sections()) {
    if (is_data_section(s) && addr >= s.addr && addr - s.addr < s.size) return &s;
  }
  return nullptr;
}

// Functions whose references the generator learns: the runtime's own, where the globals
// are used.
bool is_runtime_function(std::string_view name) {
  return name.starts_with("runtime.") || name.starts_with("internal/runtime/");
}

}  // namespace

std::span<const CodeRef> learned_code_refs() { return {kCodeRefs.begin(), kCodeRefs.size()}; }

Result<std::vector<DataRef>> data_refs(const GoBinary& bin, const PclnFunction& fn) {
  auto code = bin.elf().read(fn.entry, fn.end - fn.entry);
  if (!code) return code.error();
  auto refs = find_rip_refs(bin.elf().arch(), *code, fn.entry);
  if (!refs) return refs.error();
  std::vector<DataRef> out;
  for (const RipRef& r : *refs) {
    if (const Section* s = data_section_at(bin.elf(), r.target)) out.push_back({r.insn, r.target, s});
  }
  return out;
}

Result<FoundGlobal> find_global_in_code(const GoBinary& bin, std::span<const std::string_view> names,
                                        std::string_view minor) {
  std::string all_names = fmt::format("{}", fmt::join(names, " or "));
  std::vector<const CodeRef*> rows;
  bool minor_known = false, absent = false;
  for (const CodeRef& r : kCodeRefs) {
    if (r.minor != minor) continue;
    minor_known = true;
    if (std::find(names.begin(), names.end(), r.global) == names.end()) continue;
    if (r.function.empty()) {
      absent = true;
    } else {
      rows.push_back(&r);
    }
  }
  if (!minor_known) {
    return make_error("no code references learned for go{} (tools/gen-offsets learns them from "
                      "the plain builds of each release)",
                      minor);
  }
  if (rows.empty()) {
    return absent ? make_error("{} does not exist in go{}", all_names, minor)
                  : make_error("tools/gen-offsets learned no reference to {} for go{}", all_names,
                               minor);
  }
  struct Candidate {
    uint64_t address;
    std::string where;
  };
  std::vector<Candidate> found;
  std::vector<std::string> failed, absent_functions;
  for (const CodeRef* r : rows) {
    const PclnFunction* fn = bin.pclntab().find(r->function);
    if (!fn) {  // left out by the linker's dead-code pass: no evidence either way
      absent_functions.push_back(std::string(r->function));
      continue;
    }
    auto refs = data_refs(bin, *fn);
    if (!refs) {
      failed.push_back(fmt::format("{}: {}", r->function, refs.error().message));
      continue;
    }
    if (r->ordinal >= refs->size()) {
      failed.push_back(fmt::format("{} has {} data references, not {}", r->function, refs->size(),
                                   r->ordinal + 1));
      continue;
    }
    const DataRef& d = (*refs)[r->ordinal];
    std::string where = fmt::format("{}+{:#x}", r->function, d.insn - fn->entry);
    uint64_t address = d.target - static_cast<uint64_t>(r->addend);
    const Section& s = *d.section;
    if (s.name != r->section) {
      failed.push_back(fmt::format("{} names {:#x} in {}, the global lies in {}", where, d.target,
                                   s.name, r->section));
    } else if (address < s.addr || address + r->size > s.addr + s.size) {
      failed.push_back(fmt::format("{} gives {:#x}, {} bytes of which do not fit in {}", where,
                                   address, r->size, s.name));
    } else {
      found.push_back({address, std::move(where)});
    }
  }
  // A reference that no longer holds means this binary's code differs from what was learned
  // (another patch release, a changed function): then none of them is trusted.
  if (!failed.empty()) {
    return make_error("{}: {} of the {} references learned for go{} do not hold here: {}",
                      all_names, failed.size(), rows.size(), minor, fmt::join(failed, "; "));
  }
  if (found.empty()) {
    return make_error("{}: none of the functions whose code names it is in this binary ({})",
                      all_names, fmt::join(absent_functions, ", "));
  }
  for (const Candidate& c : found) {
    if (c.address != found.front().address) {
      return make_error("{}: the learned references disagree: {:#x} from {}, {:#x} from {}",
                        all_names, found.front().address, found.front().where, c.address, c.where);
    }
  }
  return FoundGlobal{std::string(rows.front()->global), found.front().address, rows.front()->size,
                     fmt::format("code: {} ({} of {} learned references agree)",
                                 found.front().where, found.size(), rows.size())};
}

std::map<std::string, std::vector<LearnedRef>> learn_code_refs(const GoBinary& bin,
                                                               std::span<const Symbol> globals,
                                                               size_t max) {
  std::vector<const Symbol*> sorted;
  for (const Symbol& g : globals) sorted.push_back(&g);
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->addr < b->addr; });
  std::map<std::string, std::vector<LearnedRef>> out;
  for (const PclnFunction& fn : bin.pclntab().functions) {
    if (!is_runtime_function(fn.name)) continue;
    auto refs = data_refs(bin, fn);
    if (!refs) continue;
    for (size_t i = 0; i < refs->size(); ++i) {
      uint64_t t = (*refs)[i].target;
      auto it = std::upper_bound(sorted.begin(), sorted.end(), t,
                                 [](uint64_t v, const Symbol* g) { return v < g->addr; });
      if (it == sorted.begin()) continue;
      const Symbol* g = *(it - 1);
      if (t - g->addr >= std::max<uint64_t>(g->size, 1)) continue;
      auto& list = out[g->name];
      if (!list.empty() && list.back().function == fn.name) continue;  // one per function
      list.push_back({fn.name, static_cast<uint32_t>(i), static_cast<int64_t>(t - g->addr),
                      (*refs)[i].section->name, static_cast<uint32_t>(refs->size())});
    }
  }
  for (auto& [name, list] : out) {
    std::stable_sort(list.begin(), list.end(), [](const LearnedRef& a, const LearnedRef& b) {
      return std::pair(a.function_refs, a.ordinal) < std::pair(b.function_refs, b.ordinal);
    });
    if (list.size() > max) list.resize(max);
  }
  return out;
}

}  // namespace gri::goelf
