#include "goelf/pclntab.h"

#include <algorithm>
#include <limits>

namespace gri::goelf {
namespace {

// Go src/internal/abi/symtab.go (go1.26): Go116PCLnTabMagic, Go118PCLnTabMagic, Go120PCLnTabMagic.
constexpr uint32_t kMagic116 = 0xfffffffa;
constexpr uint32_t kMagic118 = 0xfffffff0;
constexpr uint32_t kMagic120 = 0xfffffff1;

// Bounds-checked fixed-width reads in either byte order.
struct Bytes {
  std::span<const uint8_t> data;
  bool big_endian = false;

  bool has(uint64_t off, uint64_t n) const { return off <= data.size() && n <= data.size() - off; }
  uint64_t get(uint64_t off, size_t n) const {  // caller checked has(off, n)
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
      size_t shift = big_endian ? 8 * (n - 1 - i) : 8 * i;
      v |= uint64_t{data[off + i]} << shift;
    }
    return v;
  }
  std::optional<uint64_t> uint(uint64_t off, size_t n) const {
    if (!has(off, n)) return std::nullopt;
    return get(off, n);
  }
};

// What the header says (Go src/runtime/symtab.go, pcHeader; go1.16: no textStart word).
struct Header {
  uint32_t magic = 0;
  std::string format;
  bool big_endian = false;
  uint8_t ptr_size = 0;
  uint64_t nfunc = 0;
  uint64_t text_start = 0;  // 0: not in the header (go1.26+), or go1.16 (absolute entries)
  uint64_t funcname_offset = 0;
  uint64_t pcln_offset = 0;
};

Result<Header> parse_header(std::span<const uint8_t> data) {
  if (data.size() < 8) {
    return make_error("pclntab truncated: {} bytes, the header needs 8", data.size());
  }
  Header h;
  auto le = static_cast<uint32_t>(Bytes{data, false}.get(0, 4));
  auto be = static_cast<uint32_t>(Bytes{data, true}.get(0, 4));
  // The magics read differently in the other byte order (debug/gosym/pclntab.go).
  for (auto [magic, format] : {std::pair{kMagic116, "go1.16"}, std::pair{kMagic118, "go1.18"},
                               std::pair{kMagic120, "go1.20"}}) {
    if (le == magic || be == magic) {
      h.magic = magic;
      h.format = format;
      h.big_endian = le != magic;
    }
  }
  if (h.format.empty()) return make_error("pclntab has an unknown magic {:#010x}", le);
  if (data[4] != 0 || data[5] != 0) return make_error("pclntab header: padding bytes are not zero");
  uint8_t quantum = data[6];
  if (quantum != 1 && quantum != 2 && quantum != 4) {
    return make_error("pclntab header: bad instruction size quantum {}", quantum);
  }
  h.ptr_size = data[7];
  if (h.ptr_size != 4 && h.ptr_size != 8) {
    return make_error("pclntab header: bad pointer size {}", h.ptr_size);
  }
  Bytes b{data, h.big_endian};
  bool go116 = h.magic == kMagic116;
  size_t words = go116 ? 7 : 8;
  if (!b.has(8, words * h.ptr_size)) {
    return make_error("pclntab truncated: {} bytes, the {} header needs {}", data.size(), h.format,
                      8 + words * h.ptr_size);
  }
  auto word = [&](size_t i) { return b.get(8 + i * h.ptr_size, h.ptr_size); };
  h.nfunc = word(0);
  if (go116) {
    h.funcname_offset = word(2);
    h.pcln_offset = word(6);
  } else {
    h.text_start = word(2);
    h.funcname_offset = word(3);
    h.pcln_offset = word(7);
  }
  if (h.funcname_offset >= data.size() || h.pcln_offset >= data.size()) {
    return make_error("pclntab header: table offsets ({:#x}, {:#x}) past its {} bytes",
                      h.funcname_offset, h.pcln_offset, data.size());
  }
  return h;
}

}  // namespace

const PclnFunction* Pclntab::find(std::string_view name) const {
  for (const PclnFunction& f : functions) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

const PclnFunction* Pclntab::at(uint64_t addr) const {
  auto it = std::upper_bound(functions.begin(), functions.end(), addr,
                             [](uint64_t v, const PclnFunction& f) { return v < f.entry; });
  if (it == functions.begin()) return nullptr;
  --it;
  return addr < it->end ? &*it : nullptr;
}

Result<Pclntab> parse_pclntab(std::span<const uint8_t> data, std::optional<uint64_t> text_start) {
  auto header = parse_header(data);
  if (!header) return header.error();
  const Header& h = *header;
  Bytes b{data, h.big_endian};
  bool go116 = h.magic == kMagic116;

  Pclntab tab;
  tab.magic = h.magic;
  tab.format = h.format;
  if (!go116) {
    if (h.text_start != 0) {
      tab.text_start = h.text_start;
      tab.text_start_source = "header";
    } else if (text_start) {
      tab.text_start = *text_start;
      tab.text_start_source = "argument";
    } else {
      return make_error("{} pclntab has no text start in its header (Go 1.26+) and none was given",
                        h.format);
    }
  }

  // ftab: nfunc {entry, funcoff} pairs and the end of text; uint32 offsets from the text
  // start since go1.18, uintptr addresses in go1.16 (debug/gosym/pclntab.go, funcTab).
  size_t field = go116 ? h.ptr_size : 4;
  uint64_t room = data.size() - h.pcln_offset;
  if (h.nfunc > room / (2 * field) || (2 * h.nfunc + 1) * field > room) {
    return make_error("pclntab header: {} functions do not fit in its {} bytes", h.nfunc,
                      data.size());
  }
  auto ftab = [&](uint64_t i) { return b.get(h.pcln_offset + i * field, field); };
  auto entry_of = [&](uint64_t value) { return go116 ? value : tab.text_start + value; };
  if (go116) {
    tab.text_start = h.nfunc > 0 ? ftab(0) : 0;
    tab.text_start_source = "ftab";  // go1.16 entries are absolute addresses
  }

  tab.functions.reserve(h.nfunc);
  uint64_t name_bytes = 0;
  for (uint64_t i = 0; i < h.nfunc; i++) {
    uint64_t entry_field = ftab(2 * i);
    uint64_t funcoff = ftab(2 * i + 1);
    uint64_t next_field = ftab(2 * i + 2);
    // _func starts with its entry (uint32 offset, or uintptr in go1.16) and nameOff int32.
    uint64_t func = h.pcln_offset + funcoff;
    if (funcoff > room || !b.has(func, field + 4)) {
      return make_error("pclntab: function {} record at {:#x} is past the table's end", i, funcoff);
    }
    if (b.get(func, field) != entry_field) {
      return make_error("pclntab: function {} record disagrees with ftab on its entry", i);
    }
    int32_t name_off = static_cast<int32_t>(b.get(func + field, 4));
    uint64_t name_at = h.funcname_offset + static_cast<uint64_t>(name_off);
    if (name_off < 0 || name_at >= data.size()) {
      return make_error("pclntab: function {} name offset {} is out of range", i, name_off);
    }
    auto rest = data.subspan(name_at);
    auto nul = std::find(rest.begin(), rest.end(), uint8_t{0});
    if (nul == rest.end()) return make_error("pclntab: function {} name is not terminated", i);
    // A table whose names add up to more than its own size reuses one name over and over.
    name_bytes += static_cast<uint64_t>(nul - rest.begin());
    if (name_bytes > data.size()) {
      return make_error("pclntab: function names add up to more than the table's size");
    }
    if (next_field < entry_field) {
      return make_error("pclntab: function {} is not sorted by entry", i);
    }
    tab.functions.push_back(
        {std::string(rest.begin(), nul), entry_of(entry_field), entry_of(next_field)});
  }
  return tab;
}

namespace {

// The .gopclntab bytes and their address. Go 1.19 PIE (internal linking) names the section
// .data.rel.ro.gopclntab (measured); else runtime.pclntab..runtime.epclntab in .symtab.
struct Located {
  uint64_t addr = 0;
  std::span<const uint8_t> data;
  std::vector<uint8_t> owned;
};

Result<Located> locate_pclntab(const ElfFile& elf) {
  for (const char* name : {".gopclntab", ".data.rel.ro.gopclntab"}) {
    const Section* s = elf.find_section(name);
    if (!s) continue;
    auto data = elf.section_data(*s);
    if (!data) return data.error();
    return Located{s->addr, *data, {}};
  }
  const Symbol* start = elf.find_object("runtime.pclntab");
  const Symbol* end = elf.find_object("runtime.epclntab");
  if (start && end && end->addr > start->addr && end->addr - start->addr <= elf.image().size()) {
    auto bytes = elf.read(start->addr, end->addr - start->addr);
    if (!bytes) return bytes.error();
    Located l{start->addr, {}, std::move(*bytes)};
    l.data = l.owned;
    return l;
  }
  return make_error("{} is not a Go binary: no .gopclntab section and no runtime.pclntab symbol",
                    elf.path());
}

// firstmoduledata begins {pcHeader *pcHeader; funcnametab, cutab, filetab, pctab, pclntable,
// ftab []T; findfunctab, minpc, maxpc, text uintptr ...}: the same from go1.18 through go1.27
// (src/runtime/symtab.go, type moduledata, in 1.19, 1.26 and 1.27.3). Go 1.26+ links it into
// .go.module, older versions into .noptrdata (measured on the go-probes).
constexpr size_t kFuncnametabWord = 1;
constexpr size_t kPclntableWord = 13;
constexpr size_t kFtabWord = 16;
constexpr size_t kMinpcWord = 20;
constexpr size_t kTextWord = 22;

std::optional<uint64_t> moduledata_text(const ElfFile& elf, uint64_t pclntab_addr,
                                        const Header& h) {
  size_t ps = h.ptr_size;
  for (const char* name : {".go.module", ".noptrdata", ".data"}) {
    const Section* s = elf.find_section(name);
    if (!s) continue;
    auto data = elf.section_data(*s);
    if (!data) continue;
    Bytes b{*data, h.big_endian};
    for (uint64_t off = 0; b.has(off, (kTextWord + 1) * ps); off += ps) {
      auto word = [&](size_t i) { return b.get(off + i * ps, ps); };
      // The pcHeader pointer, confirmed by the slices that point into the same table.
      if (word(0) != pclntab_addr || word(kFuncnametabWord) != pclntab_addr + h.funcname_offset ||
          word(kPclntableWord) != pclntab_addr + h.pcln_offset ||
          word(kFtabWord) != pclntab_addr + h.pcln_offset) {
        continue;
      }
      uint64_t text = word(kTextWord);
      if (text != 0 && text <= word(kMinpcWord) && elf.file_offset(text)) return text;
    }
  }
  return std::nullopt;
}

}  // namespace

Result<Pclntab> read_pclntab(const ElfFile& elf) {
  auto located = locate_pclntab(elf);
  if (!located) return located.error();
  auto header = parse_header(located->data);
  if (!header) return make_error("{}: bad pclntab: {}", elf.path(), header.error().message);

  std::optional<uint64_t> text;
  std::string source;
  if (header->magic != kMagic116 && header->text_start == 0) {
    // Go 1.26+ (src/runtime/symtab.go, pcHeader: "used to be textStart").
    if (const Symbol* sym = elf.find_function("runtime.text")) {
      text = sym->addr;
      source = "runtime.text";
    } else if (auto md = moduledata_text(elf, located->addr, *header)) {
      text = *md;
      source = "moduledata";
    } else if (const Section* s = elf.find_section(".text")) {
      text = s->addr;
      source = ".text section";
    } else {
      return make_error("{}: the pclntab has no text start and neither runtime.text, the module "
                        "data nor a .text section gives one", elf.path());
    }
  }
  auto tab = parse_pclntab(located->data, text);
  if (!tab) return make_error("{}: bad pclntab: {}", elf.path(), tab.error().message);
  if (text) tab->text_start_source = source;
  return tab;
}

}  // namespace gri::goelf
