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
  uint8_t quantum = 0;      // instruction size quantum: pc deltas count in it (1 on amd64)
  uint64_t text_start = 0;  // 0: not in the header (go1.26+), or go1.16 (absolute entries)
  uint64_t funcname_offset = 0;
  uint64_t cu_offset = 0;
  uint64_t filetab_offset = 0;
  uint64_t pctab_offset = 0;
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
  h.quantum = data[6];
  if (h.quantum != 1 && h.quantum != 2 && h.quantum != 4) {
    return make_error("pclntab header: bad instruction size quantum {}", h.quantum);
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
  // {nfunc, nfiles, [textStart,] funcnameOffset, cuOffset, filetabOffset, pctabOffset,
  // pclnOffset} (src/runtime/symtab.go, pcHeader, go1.19 and go1.26).
  size_t w = go116 ? 2 : 3;
  if (!go116) h.text_start = word(2);
  h.funcname_offset = word(w);
  h.cu_offset = word(w + 1);
  h.filetab_offset = word(w + 2);
  h.pctab_offset = word(w + 3);
  h.pcln_offset = word(w + 4);
  if (h.funcname_offset >= data.size() || h.pcln_offset >= data.size()) {
    return make_error("pclntab header: table offsets ({:#x}, {:#x}) past its {} bytes",
                      h.funcname_offset, h.pcln_offset, data.size());
  }
  return h;
}

// A NUL-terminated string at off, or nullopt when it runs past the table.
std::optional<std::string_view> cstring(std::span<const uint8_t> data, uint64_t off) {
  if (off >= data.size()) return std::nullopt;
  auto rest = data.subspan(off);
  auto nul = std::find(rest.begin(), rest.end(), uint8_t{0});
  if (nul == rest.end()) return std::nullopt;
  return std::string_view(reinterpret_cast<const char*>(rest.data()),
                          static_cast<size_t>(nul - rest.begin()));
}

// Indexes of the pc-value tables and funcdata (src/internal/abi/symtab.go, go1.26;
// src/runtime/symtab.go, go1.19: _PCDATA_InlTreeIndex, _FUNCDATA_InlTree).
constexpr uint32_t kPcdataInlTreeIndex = 2;
constexpr uint32_t kFuncdataInlTree = 3;
// Inlined calls deeper than this are taken as a corrupt tree (the compiler's own limit on
// inlining keeps real chains to a few levels).
constexpr int kMaxInlineDepth = 64;

}  // namespace

// The _func record (src/runtime/runtime2.go): {entryOff uint32 (uintptr in go1.16), nameOff,
// args, deferreturn, pcsp, pcfile, pcln, npcdata, cuOffset int32/uint32, [startLine int32,
// go1.20+], funcID, flag, _, nfuncdata uint8}, then pcdata [npcdata]uint32 (offsets into
// pctab) and funcdata [nfuncdata]uint32 (offsets from moduledata.gofunc; go1.16: uintptr
// addresses after the pcdata, pointer-aligned). Checked in go1.19's and go1.26's
// runtime2.go; go1.20's gained startLine (with the go1.20 magic; the go1.20 layout seen in
// pkujhd/goloader's "go1.20 && !go1.24" copy of _func).
struct PclnTables {
  std::vector<uint8_t> data;
  Header h;
  std::vector<uint8_t> gofunc;  // go:func.* from gofunc_addr to the end of its section
  uint64_t gofunc_addr = 0;

  Bytes bytes() const { return {data, h.big_endian}; }
  bool go116() const { return h.magic == kMagic116; }
  bool go120() const { return h.magic == kMagic120; }
  uint64_t entry_size() const { return go116() ? h.ptr_size : 4; }
  // Offset of a uint32 field of _func, counted in 4-byte words after the entry.
  uint64_t field(uint64_t rec, int word) const { return rec + entry_size() + 4 * (word - 1); }
  // Size of the fixed part, up to and with nfuncdata.
  uint64_t fixed_size() const { return entry_size() + (go120() ? 40 : 36); }

  std::optional<uint32_t> u32(uint64_t off) const {
    auto v = bytes().uint(off, 4);
    if (!v) return std::nullopt;
    return static_cast<uint32_t>(*v);
  }

  // The value of the pc-value table at pctab+off for target in the function at entry, as
  // src/runtime/symtab.go (go1.19 and go1.26) pcvalue/step/readvarint decode it: pairs of
  // varints (value delta zig-zag encoded, then pc delta in quanta) from value -1 at entry; a
  // zero first byte after the first pair ends the table. nullopt: no table, or target past it.
  std::optional<int32_t> pcvalue(uint32_t off, uint64_t entry, uint64_t target) const {
    if (off == 0) return std::nullopt;
    uint64_t p = h.pctab_offset + off;
    uint64_t pc = entry;
    uint32_t val = static_cast<uint32_t>(-1);
    auto varint = [&](uint32_t* out) {
      uint32_t v = 0;
      for (int shift = 0; shift < 35; shift += 7) {
        if (p >= data.size()) return false;
        uint8_t b = data[p++];
        v |= uint32_t{b & 0x7fu} << shift;
        if (!(b & 0x80)) {
          *out = v;
          return true;
        }
      }
      return false;  // no uint32 takes more than 5 bytes
    };
    // The linker advances the pc by at least one quantum a pair (cmd/internal/obj/pcln.go,
    // funcpctab, emits at instruction boundaries only): more pairs than that is a corrupt table.
    uint64_t max_pairs = target < entry ? 1 : (target - entry) / h.quantum + 1;
    for (uint64_t pair = 0; pair < max_pairs; pair++) {
      bool first = pair == 0;
      if (p >= data.size() || (data[p] == 0 && !first)) return std::nullopt;
      uint32_t uv = 0, pcdelta = 0;
      if (!varint(&uv) || !varint(&pcdelta)) return std::nullopt;
      val += (0u - (uv & 1)) ^ (uv >> 1);
      pc += uint64_t{pcdelta} * h.quantum;
      if (target < pc) return static_cast<int32_t>(val);
    }
    return std::nullopt;
  }

  // The function's pc-value table `table` (pcdata[table]) at target.
  std::optional<int32_t> pcdata(uint64_t rec, uint32_t table, uint64_t entry,
                                uint64_t target) const {
    auto npcdata = u32(field(rec, 7));
    if (!npcdata || table >= *npcdata) return std::nullopt;
    auto off = u32(rec + fixed_size() + 4 * uint64_t{table});
    if (!off) return std::nullopt;
    return pcvalue(*off, entry, target);
  }

  // File and line at target: pcfile's file number through the CU's slice of cutab into
  // filetab (funcfile/funcline1, src/runtime/symtab.go, go1.19 and go1.26).
  std::pair<std::string, int> file_line(uint64_t rec, uint64_t entry, uint64_t target) const {
    auto pcfile = u32(field(rec, 5)), pcln = u32(field(rec, 6)), cu = u32(field(rec, 8));
    if (!pcfile || !pcln || !cu) return {};
    auto fileno = pcvalue(*pcfile, entry, target);
    auto line = pcvalue(*pcln, entry, target);
    if (!fileno || !line || *fileno < 0 || *line < 0) return {};
    auto fileoff = u32(h.cu_offset + 4 * (uint64_t{*cu} + static_cast<uint64_t>(*fileno)));
    if (!fileoff || *fileoff == ~uint32_t{0}) return {};
    auto file = cstring(data, h.filetab_offset + *fileoff);
    if (!file) return {};
    return {std::string(*file), *line};
  }

  // The inline tree of a function (funcdata[FUNCDATA_InlTree]) as an offset into gofunc.
  std::optional<uint64_t> inline_tree(uint64_t rec) const {
    if (go116() || gofunc.empty()) return std::nullopt;
    auto npcdata = u32(field(rec, 7));
    auto nfuncdata = bytes().uint(fixed_size() - 1 + rec, 1);
    if (!npcdata || !nfuncdata || kFuncdataInlTree >= *nfuncdata) return std::nullopt;
    auto off = u32(rec + fixed_size() + 4 * (uint64_t{*npcdata} + kFuncdataInlTree));
    if (!off || *off == ~uint32_t{0}) return std::nullopt;
    return *off;
  }

  // Entry ix of an inline tree: the name offset of the inlined function and the parentPc,
  // the offset from entry of an instruction at the call site. go1.19 (symtab.go):
  // {parent int16, funcID uint8, _ byte, file, line, func_, parentPc int32}; go1.20+ (go1.26
  // symtabinl.go): {funcID uint8, _ [3]byte, nameOff, parentPc, startLine int32}.
  std::optional<std::pair<int32_t, int32_t>> inlined_call(uint64_t tree, int32_t ix) const {
    uint64_t size = go120() ? 16 : 20;
    uint64_t name_at = go120() ? 4 : 12, parent_at = go120() ? 8 : 16;
    Bytes g{gofunc, h.big_endian};
    uint64_t at = tree + static_cast<uint64_t>(ix) * size;
    if (ix < 0 || !g.has(at, size)) return std::nullopt;
    return std::pair{static_cast<int32_t>(g.get(at + name_at, 4)),
                     static_cast<int32_t>(g.get(at + parent_at, 4))};
  }

  std::string name(int32_t name_off) const {
    if (name_off < 0) return "";
    return std::string(cstring(data, h.funcname_offset + static_cast<uint64_t>(name_off))
                           .value_or(std::string_view()));
  }
};

bool Pclntab::has_inline_trees() const {
  return tables && !tables->go116() && !tables->gofunc.empty();
}

std::vector<SourceFrame> Pclntab::frames(uint64_t addr) const {
  std::vector<SourceFrame> out;
  const PclnFunction* f = at(addr);
  if (!f) return out;
  if (!tables) return {{f->name, "", 0, false}};  // a table built by hand: names only
  const PclnTables& t = *tables;
  // The unwinder's walk (src/runtime/symtabinl.go, go1.26, newInlineUnwinder/next; the same
  // loop in go1.19's traceback.go): the inline tree index at pc names the innermost inlined
  // function, at pc's line; its parentPc is an instruction of the caller at the call's line.
  uint64_t pc = addr;
  if (auto tree = t.inline_tree(f->record)) {
    for (int depth = 0; depth < kMaxInlineDepth; depth++) {
      auto ix = t.pcdata(f->record, kPcdataInlTreeIndex, f->entry, pc);
      if (!ix || *ix < 0) break;
      auto call = t.inlined_call(*tree, *ix);
      if (!call) break;
      auto [file, line] = t.file_line(f->record, f->entry, pc);
      out.push_back({t.name(call->first), std::move(file), line, true});
      pc = f->entry + static_cast<uint64_t>(static_cast<int64_t>(call->second));
    }
  }
  auto [file, line] = t.file_line(f->record, f->entry, pc);
  out.push_back({f->name, std::move(file), line, false});
  return out;
}

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

Result<Pclntab> parse_pclntab(std::span<const uint8_t> data, std::optional<uint64_t> text_start,
                              GoFuncData gofunc) {
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
    auto name = cstring(data, name_at);
    if (!name) return make_error("pclntab: function {} name is not terminated", i);
    // A table whose names add up to more than its own size reuses one name over and over.
    name_bytes += name->size();
    if (name_bytes > data.size()) {
      return make_error("pclntab: function names add up to more than the table's size");
    }
    if (next_field < entry_field) {
      return make_error("pclntab: function {} is not sorted by entry", i);
    }
    tab.functions.push_back(
        {std::string(*name), entry_of(entry_field), entry_of(next_field), func});
  }
  auto tables = std::make_shared<PclnTables>();
  tables->data.assign(data.begin(), data.end());
  tables->h = h;
  tables->gofunc.assign(gofunc.bytes.begin(), gofunc.bytes.end());
  tables->gofunc_addr = gofunc.addr;
  tab.tables = std::move(tables);
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
// Further on the words move between releases: gofunc is word 38 in go1.19 (after text ...
// rodata), 40 in go1.20-1.26 (covctrs, ecovctrs added), 43 in go1.27.3 (typedesclen,
// itaboffset, itabsize added); from go1.26 the next word is epclntab, which places it
// (src/runtime/symtab.go of go1.19, go1.21-1.25 in /usr/share, go1.26, go1.27.3).
constexpr size_t kGofuncWord118 = 38;
constexpr size_t kGofuncWord120 = 40;
constexpr size_t kLastWord = 50;

struct ModuleData {
  std::optional<uint64_t> text;
  std::optional<uint64_t> gofunc;
};

// The words of firstmoduledata that gri reads, or nothing when no module data points at the
// pclntab at pclntab_addr (size bytes).
ModuleData read_moduledata(const ElfFile& elf, uint64_t pclntab_addr, uint64_t size,
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
      ModuleData md;
      uint64_t text = word(kTextWord);
      if (text != 0 && text <= word(kMinpcWord) && elf.file_offset(text)) md.text = text;
      size_t gofunc = h.magic == kMagic118 ? kGofuncWord118 : kGofuncWord120;
      for (size_t i = kTextWord + 1; i < kLastWord && b.has(off + i * ps, ps); i++) {
        if (word(i) == pclntab_addr + size) gofunc = i - 1;  // epclntab, go1.26+
      }
      // gofunc follows rodata and lies in it.
      if (b.has(off + gofunc * ps, ps) && word(gofunc) >= word(gofunc - 1) &&
          word(gofunc - 1) != 0) {
        md.gofunc = word(gofunc);
      }
      return md;
    }
  }
  return {};
}

// The bytes from addr to the end of the section that holds it.
std::optional<std::span<const uint8_t>> bytes_from(const ElfFile& elf, uint64_t addr) {
  for (const Section& s : elf.sections()) {
    if (s.addr == 0 || addr < s.addr || addr - s.addr >= s.size) continue;
    auto data = elf.section_data(s);
    if (!data || data->size() != s.size) return std::nullopt;  // SHT_NOBITS or cut short
    return data->subspan(addr - s.addr);
  }
  return std::nullopt;
}

}  // namespace

Result<Pclntab> read_pclntab(const ElfFile& elf) {
  auto located = locate_pclntab(elf);
  if (!located) return located.error();
  auto header = parse_header(located->data);
  if (!header) return make_error("{}: bad pclntab: {}", elf.path(), header.error().message);
  ModuleData md = header->magic == kMagic116
                      ? ModuleData{}
                      : read_moduledata(elf, located->addr, located->data.size(), *header);

  std::optional<uint64_t> text;
  std::string source;
  if (header->magic != kMagic116 && header->text_start == 0) {
    // Go 1.26+ (src/runtime/symtab.go, pcHeader: "used to be textStart").
    if (const Symbol* sym = elf.find_function("runtime.text")) {
      text = sym->addr;
      source = "runtime.text";
    } else if (md.text) {
      text = *md.text;
      source = "moduledata";
    } else if (const Section* s = elf.find_section(".text")) {
      text = s->addr;
      source = ".text section";
    } else {
      return make_error("{}: the pclntab has no text start and neither runtime.text, the module "
                        "data nor a .text section gives one", elf.path());
    }
  }
  // go:func.* ("go.func.*" before go1.20's ":" names, src/internal/abi/symtab.go), which
  // funcdata offsets count from (funcdata, src/runtime/symtab.go, go1.19 and go1.26).
  GoFuncData gofunc;
  std::string gofunc_source;
  const Symbol* sym = elf.find_object("go:func.*");
  if (!sym) sym = elf.find_object("go.func.*");
  std::optional<uint64_t> gofunc_addr = sym ? std::optional(sym->addr) : md.gofunc;
  if (gofunc_addr) {
    if (auto bytes = bytes_from(elf, *gofunc_addr)) {
      gofunc = {*gofunc_addr, *bytes};
      gofunc_source = sym ? "symtab" : "moduledata";
    }
  }
  auto tab = parse_pclntab(located->data, text, gofunc);
  if (!tab) return make_error("{}: bad pclntab: {}", elf.path(), tab.error().message);
  if (text) tab->text_start_source = source;
  tab->gofunc_source = gofunc_source;
  return tab;
}

}  // namespace gri::goelf
