// goelf pclntab against the real workloads of every toolchain, plain, stripped and PIE, with
// `go tool nm` of the unstripped twin as the oracle; hand-built tables for the go1.16 layout
// and for corrupt input.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <sstream>

#include "go_probes.h"
#include "goelf/pclntab.h"

namespace {

using gri::goelf::ElfFile;
using gri::goelf::parse_pclntab;
using gri::goelf::Pclntab;
using gri::goelf::PclnFunction;
using gri::goelf::read_pclntab;
using namespace gri::test;

using NamedEntry = std::pair<std::string, uint64_t>;

// The binary with a .symtab that has the same text: the stripped one's twin is the plain one.
std::string unstripped_path(const ProbeBinary& b) {
  return probe_path(b.label, "gc", b.variant == "-stripped" ? "" : b.variant);
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = 0; (at = s.find(from, at)) != std::string::npos; at += to.size()) {
    s.replace(at, from.size(), to);
  }
  return s;
}

// Go 1.19's linker writes "[...]" for anything between the first '[' and the last ']' of a
// name into the pclntab's name table (cmd/link/internal/ld/pcln.go, go1.19, nameParts), while
// .symtab keeps the full name; Go 1.26 and 1.27 keep full names in both (measured).
std::string abbreviate_brackets(const std::string& name) {
  size_t i = name.find('[');
  size_t j = name.rfind(']');
  if (i == std::string::npos || j == std::string::npos || j <= i) return name;
  return name.substr(0, i) + "[...]" + name.substr(j + 1);
}

// go tool nm's text symbols ("  401000 T runtime.text"; names may hold spaces), as the
// pclntab names them:
// - runtime.text and runtime.etext are linker markers at the bounds of text, not functions;
// - assembly (ABI0) functions that have an ABIInternal wrapper are named NAME.abi0 in .symtab
//   only (cmd/link/internal/ld/symtab.go, mangleABIName);
// - Go 1.19 abbreviates brackets in the pclntab (above).
std::vector<NamedEntry> nm_functions(const std::string& path, const std::string& label) {
  std::istringstream in(run_command(go_command() + " tool nm " + path));
  std::vector<NamedEntry> out;
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string addr, type;
    fields >> addr >> type;
    if (type != "T" && type != "t") continue;
    std::string name;
    std::getline(fields >> std::ws, name);
    if (name == "runtime.text" || name == "runtime.etext") continue;
    if (name.ends_with(".abi0")) name.resize(name.size() - 5);
    if (label == "go1.19") name = abbreviate_brackets(name);
    out.emplace_back(name, std::stoull(addr, nullptr, 16));
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The pclntab's functions as .symtab names them: the ELF writer turns "·" into "."
// (cmd/link/internal/ld/symtab.go, putelfsym, go1.19-1.27; e.g. type:.eq.runtime.untracedG·7).
std::vector<NamedEntry> pcln_functions(const Pclntab& tab) {
  std::vector<NamedEntry> out;
  for (const PclnFunction& f : tab.functions) {
    out.emplace_back(replace_all(f.name, "·", "."), f.entry);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string first_differences(const std::vector<NamedEntry>& a, const std::vector<NamedEntry>& b) {
  std::vector<NamedEntry> diff;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(diff));
  std::ostringstream out;
  for (size_t i = 0; i < diff.size() && i < 10; i++) {
    out << "  " << std::hex << diff[i].second << " " << diff[i].first << "\n";
  }
  if (diff.size() > 10) out << "  ... " << std::dec << diff.size() << " in all\n";
  return out.str();
}

class PclntabTest : public ::testing::TestWithParam<ProbeBinary> {
 protected:
  std::string path() const { return GetParam().path("gc"); }
};

TEST_P(PclntabTest, FunctionsMatchGoToolNmOfUnstrippedTwin) {
  auto elf = ElfFile::open(path());
  ASSERT_TRUE(elf) << elf.error().message;
  auto tab = read_pclntab(*elf);
  ASSERT_TRUE(tab) << tab.error().message;
  EXPECT_GT(tab->functions.size(), 1000u);

  auto want = nm_functions(unstripped_path(GetParam()), GetParam().label);
  auto got = pcln_functions(*tab);
  EXPECT_EQ(got.size(), want.size());
  EXPECT_TRUE(got == want) << "in the pclntab only:\n"
                           << first_differences(got, want) << "in nm only:\n"
                           << first_differences(want, got);
}

// pcHeader.textStart is runtime.text up to Go 1.25 (go1.25's cmd/link/internal/ld/pcln.go
// sets it), 0 from Go 1.26.
bool header_has_text_start(const std::string& label) { return go_minor(label) <= 25; }

TEST_P(PclntabTest, FormatAndTextStart) {
  auto twin = ElfFile::open(unstripped_path(GetParam()));
  ASSERT_TRUE(twin) << twin.error().message;
  const gri::goelf::Symbol* text = twin->find_function("runtime.text");
  ASSERT_NE(text, nullptr);

  auto elf = ElfFile::open(path());
  ASSERT_TRUE(elf) << elf.error().message;
  auto tab = read_pclntab(*elf);
  ASSERT_TRUE(tab) << tab.error().message;
  EXPECT_EQ(tab->text_start, text->addr);
  bool go119 = GetParam().label == "go1.19";
  EXPECT_EQ(tab->format, go119 ? "go1.18" : "go1.20");
  EXPECT_EQ(tab->magic, go119 ? 0xfffffff0u : 0xfffffff1u);
  // The linker writes textStart into the header up to Go 1.25 (generatePCHeader in go1.25's
  // cmd/link/internal/ld/pcln.go), Go 1.26+ writes 0 (go1.26's runtime/symtab.go: "no longer
  // stored"); then runtime.text, and without a .symtab the module data.
  std::string source = header_has_text_start(GetParam().label) ? "header"
                       : GetParam().variant == "-stripped" ? "moduledata"
                                                           : "runtime.text";
  EXPECT_EQ(tab->text_start_source, source);
}

TEST_P(PclntabTest, BoundsAndFind) {
  auto elf = ElfFile::open(path());
  ASSERT_TRUE(elf) << elf.error().message;
  auto tab = read_pclntab(*elf);
  ASSERT_TRUE(tab) << tab.error().message;
  const auto& fns = tab->functions;
  ASSERT_FALSE(fns.empty());
  EXPECT_EQ(fns.front().entry, tab->text_start);
  for (size_t i = 0; i < fns.size(); i++) {
    ASSERT_LT(fns[i].entry, fns[i].end) << fns[i].name;
    if (i + 1 < fns.size()) {
      ASSERT_EQ(fns[i].end, fns[i + 1].entry) << fns[i].name;
    }
  }
  const gri::goelf::Section* text = elf->find_section(".text");
  ASSERT_NE(text, nullptr);
  EXPECT_LE(fns.back().end, text->addr + text->size);

  const PclnFunction* gc_start = tab->find("runtime.gcStart");
  ASSERT_NE(gc_start, nullptr);
  EXPECT_EQ(gc_start->name, "runtime.gcStart");
  auto twin = ElfFile::open(unstripped_path(GetParam()));
  ASSERT_TRUE(twin);
  ASSERT_NE(twin->find_function("runtime.gcStart"), nullptr);
  EXPECT_EQ(gc_start->entry, twin->find_function("runtime.gcStart")->addr);
  // .symtab's size leaves out the padding up to the next function's alignment.
  uint64_t size = twin->find_function("runtime.gcStart")->size;
  EXPECT_GE(gc_start->end - gc_start->entry, size);
  EXPECT_LT(gc_start->end - gc_start->entry, size + 64);
  EXPECT_NE(tab->find("main.main"), nullptr);
  EXPECT_EQ(tab->find("runtime.noSuchFunction"), nullptr);
}

// The header's own text start: there in Go 1.19-1.25, 0 from Go 1.26 (measured; see
// header_has_text_start), so the table alone is not enough there.
TEST_P(PclntabTest, HeaderTextStart) {
  auto elf = ElfFile::open(path());
  ASSERT_TRUE(elf) << elf.error().message;
  const gri::goelf::Section* s = elf->find_section(".gopclntab");
  if (!s) s = elf->find_section(".data.rel.ro.gopclntab");  // go1.19 PIE (measured)
  ASSERT_NE(s, nullptr);
  auto data = elf->section_data(*s);
  ASSERT_TRUE(data) << data.error().message;
  auto bare = parse_pclntab(*data, std::nullopt);
  if (header_has_text_start(GetParam().label)) {
    ASSERT_TRUE(bare) << bare.error().message;
    EXPECT_EQ(bare->text_start_source, "header");
  } else {
    ASSERT_FALSE(bare);
    EXPECT_NE(bare.error().message.find("no text start"), std::string::npos)
        << bare.error().message;
  }
  auto given = parse_pclntab(*data, 0x401000);
  ASSERT_TRUE(given) << given.error().message;
  EXPECT_EQ(given->text_start, 0x401000u);
}

// The fallbacks, on a copy of the binary: without the header's textStart and without
// runtime.text (renamed in .strtab), the module data gives the same text start; without the
// module data's pointer to the pclntab as well, the .text section's address.
TEST_P(PclntabTest, ModuleDataAndTextSectionFallbacks) {
  auto elf = ElfFile::open(path());
  ASSERT_TRUE(elf) << elf.error().message;
  auto want = read_pclntab(*elf);
  ASSERT_TRUE(want) << want.error().message;
  const gri::goelf::Section* pcln = elf->find_section(".gopclntab");
  if (!pcln) pcln = elf->find_section(".data.rel.ro.gopclntab");
  ASSERT_NE(pcln, nullptr);
  auto img = elf->image();
  std::vector<uint8_t> image(img.begin(), img.end());
  std::memset(image.data() + pcln->offset + 8 + 2 * 8, 0, 8);  // pcHeader.textStart
  if (const gri::goelf::Section* strtab = elf->find_section(".strtab")) {
    std::string names(image.begin() + strtab->offset,
                      image.begin() + strtab->offset + strtab->size);
    size_t at = names.find(std::string("\0runtime.text\0", 14));
    ASSERT_NE(at, std::string::npos);
    image[strtab->offset + at + 12] = '_';  // "runtime.tex_"
  }
  auto copy = ElfFile::from_memory(image, "no-runtime.text");
  ASSERT_TRUE(copy) << copy.error().message;
  ASSERT_EQ(copy->find_function("runtime.text"), nullptr);
  auto tab = read_pclntab(*copy);
  ASSERT_TRUE(tab) << tab.error().message;
  EXPECT_EQ(tab->text_start_source, "moduledata");
  EXPECT_EQ(tab->text_start, want->text_start);
  EXPECT_EQ(tab->functions.size(), want->functions.size());

  size_t zeroed = 0;
  for (const char* name : {".go.module", ".noptrdata", ".data"}) {
    const gri::goelf::Section* s = elf->find_section(name);
    if (!s) continue;
    for (uint64_t off = s->offset; off + 8 <= s->offset + s->size; off += 8) {
      uint64_t word;
      std::memcpy(&word, image.data() + off, 8);
      if (word == pcln->addr) {
        std::memset(image.data() + off, 0, 8);
        zeroed++;
      }
    }
  }
  EXPECT_EQ(zeroed, 1u) << "firstmoduledata.pcHeader is the one pointer to the pclntab there";
  copy = ElfFile::from_memory(std::move(image), "no-moduledata");
  ASSERT_TRUE(copy) << copy.error().message;
  tab = read_pclntab(*copy);
  ASSERT_TRUE(tab) << tab.error().message;
  EXPECT_EQ(tab->text_start_source, ".text section");
  EXPECT_EQ(tab->text_start, elf->find_section(".text")->addr);
  EXPECT_EQ(tab->text_start, want->text_start) << "runtime.text is the start of .text here";
}

INSTANTIATE_TEST_SUITE_P(Toolchains, PclntabTest,
                         ::testing::ValuesIn(probe_binaries({"", "-stripped", "-pie"})),
                         [](const auto& info) {
                           return param_name(info.param.label + info.param.variant);
                         });

class PclntabToolchainTest : public ::testing::TestWithParam<std::string> {};

TEST_P(PclntabToolchainTest, StrippedEqualsUnstripped) {
  auto plain = ElfFile::open(probe_path(GetParam(), "gc"));
  auto stripped = ElfFile::open(probe_path(GetParam(), "gc", "-stripped"));
  ASSERT_TRUE(plain && stripped);
  ASSERT_FALSE(stripped->has_symtab());
  auto a = read_pclntab(*plain);
  auto b = read_pclntab(*stripped);
  ASSERT_TRUE(a) << a.error().message;
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(a->text_start, b->text_start);
  ASSERT_EQ(a->functions.size(), b->functions.size());
  for (size_t i = 0; i < a->functions.size(); i++) {
    const PclnFunction& x = a->functions[i];
    const PclnFunction& y = b->functions[i];
    ASSERT_TRUE(x.name == y.name && x.entry == y.entry && x.end == y.end)
        << i << ": " << x.name << " " << std::hex << x.entry << "-" << x.end << " vs " << y.name
        << " " << y.entry << "-" << y.end;
  }
}

INSTANTIATE_TEST_SUITE_P(Toolchains, PclntabToolchainTest, ::testing::ValuesIn(go_labels()),
                         [](const auto& info) { return param_name(info.param); });

TEST(Pclntab, NotAGoBinary) {
  std::string self = "/proc/self/exe";  // this test: C++, no Go
  auto elf = ElfFile::open(self);
  ASSERT_TRUE(elf) << elf.error().message;
  auto tab = read_pclntab(*elf);
  ASSERT_FALSE(tab);
  EXPECT_EQ(tab.error().message, self + " is not a Go binary: no .gopclntab section and no "
                                        "runtime.pclntab symbol");
}

// --- hand-built tables ---

struct Fn {
  std::string name;
  uint64_t entry;  // go1.16: address; go1.18+: offset from the text start
};

// A small table in the layout of `magic`, 8-byte pointers: header, function
// names, ftab with its _func records (entry, nameOff, then 4 words of padding), names last.
std::vector<uint8_t> build_table(uint32_t magic, const std::vector<Fn>& fns, uint64_t end,
                                 uint64_t text_start = 0, bool big_endian = false) {
  bool go116 = magic == 0xfffffffa;
  size_t field = go116 ? 8 : 4;
  size_t words = go116 ? 7 : 8;
  size_t header = 8 + 8 * words;
  size_t pcln = header;
  size_t ftab_size = (2 * fns.size() + 1) * field;
  size_t func_size = field + 4 + 16;
  size_t names = pcln + ftab_size + fns.size() * func_size;
  std::vector<uint8_t> t(names);
  auto put = [&](size_t at, uint64_t v, size_t n) {
    for (size_t i = 0; i < n; i++) {
      t[at + i] = static_cast<uint8_t>(v >> (big_endian ? 8 * (n - 1 - i) : 8 * i));
    }
  };
  put(0, magic, 4);
  t[6] = 1;
  t[7] = 8;
  put(8, fns.size(), 8);
  std::vector<uint64_t> w;  // the header words after nfunc, nfiles
  if (!go116) w.push_back(text_start);
  w.insert(w.end(), {names, names, names, names, pcln});  // funcname, cu, filetab, pctab, pcln
  for (size_t i = 0; i < w.size(); i++) put(24 + 8 * i, w[i], 8);
  size_t name_off = 0;
  for (size_t i = 0; i < fns.size(); i++) {
    size_t funcoff = ftab_size + i * func_size;
    put(pcln + 2 * i * field, fns[i].entry, field);
    put(pcln + (2 * i + 1) * field, funcoff, field);
    put(pcln + funcoff, fns[i].entry, field);
    put(pcln + funcoff + field, name_off, 4);
    t.insert(t.end(), fns[i].name.begin(), fns[i].name.end());
    t.push_back(0);
    name_off += fns[i].name.size() + 1;
  }
  put(pcln + 2 * fns.size() * field, end, field);
  return t;
}

const std::vector<Fn> kFns = {
    {"main.main", 0x0}, {"runtime.gcStart", 0x40}, {"p.(*T[...]).m", 0x90}};

TEST(Pclntab, Go116Layout) {
  std::vector<Fn> fns = kFns;
  for (Fn& f : fns) f.entry += 0x401000;
  auto t = build_table(0xfffffffa, fns, 0x401100);
  auto tab = parse_pclntab(t, 0x999999);  // ignored: go1.16 entries are addresses
  ASSERT_TRUE(tab) << tab.error().message;
  EXPECT_EQ(tab->format, "go1.16");
  EXPECT_EQ(tab->magic, 0xfffffffau);
  EXPECT_EQ(tab->text_start, 0x401000u);
  ASSERT_EQ(tab->functions.size(), 3u);
  EXPECT_EQ(tab->functions[0].name, "main.main");
  EXPECT_EQ(tab->functions[0].entry, 0x401000u);
  EXPECT_EQ(tab->functions[0].end, 0x401040u);
  EXPECT_EQ(tab->functions[2].name, "p.(*T[...]).m");
  EXPECT_EQ(tab->functions[2].end, 0x401100u);
  ASSERT_NE(tab->find("runtime.gcStart"), nullptr);
  EXPECT_EQ(tab->find("runtime.gcStart")->entry, 0x401040u);
}

TEST(Pclntab, Go118And120Layouts) {
  auto t118 = build_table(0xfffffff0, kFns, 0x100, 0x401000);
  auto tab = parse_pclntab(t118, std::nullopt);
  ASSERT_TRUE(tab) << tab.error().message;
  EXPECT_EQ(tab->format, "go1.18");
  EXPECT_EQ(tab->text_start_source, "header");
  EXPECT_EQ(tab->functions[1].entry, 0x401040u);
  EXPECT_EQ(tab->functions[2].end, 0x401100u);

  auto t120 = build_table(0xfffffff1, kFns, 0x100, 0);
  EXPECT_FALSE(parse_pclntab(t120, std::nullopt)) << "go1.26+: no text start in the header";
  tab = parse_pclntab(t120, 0x800000);
  ASSERT_TRUE(tab) << tab.error().message;
  EXPECT_EQ(tab->format, "go1.20");
  EXPECT_EQ(tab->text_start, 0x800000u);
  EXPECT_EQ(tab->functions[1].entry, 0x800040u);

  // Big endian: the magic read the other way round (debug/gosym/pclntab.go).
  auto be = build_table(0xfffffff1, kFns, 0x100, 0, true);
  EXPECT_EQ(be[0], 0xff);
  EXPECT_EQ(be[3], 0xf1);
  tab = parse_pclntab(be, 0x1000);
  ASSERT_TRUE(tab) << tab.error().message;
  ASSERT_EQ(tab->functions.size(), 3u);
  EXPECT_EQ(tab->functions[1].name, "runtime.gcStart");
  EXPECT_EQ(tab->functions[1].entry, 0x1040u);
}

void set_u64(std::vector<uint8_t>& t, size_t at, uint64_t v) {
  for (size_t i = 0; i < 8; i++) t[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

TEST(Pclntab, CorruptInputIsAnError) {
  auto good = build_table(0xfffffff1, kFns, 0x100);
  ASSERT_TRUE(parse_pclntab(good, 0x401000));

  // Every truncation: the last byte is the last name's terminator.
  for (size_t n = 0; n < good.size(); n++) {
    EXPECT_FALSE(parse_pclntab(std::span(good).first(n), 0x401000)) << "cut at " << n;
  }
  auto expect_error = [](const std::vector<uint8_t>& t, const std::string& what) {
    auto tab = parse_pclntab(t, 0x401000);
    ASSERT_FALSE(tab) << "expected: " << what;
    EXPECT_NE(tab.error().message.find(what), std::string::npos) << tab.error().message;
  };
  auto t = good;
  t[0] = 0xfb;
  expect_error(t, "unknown magic");
  t = good;
  t[7] = 3;
  expect_error(t, "pointer size");
  t = good;
  t[4] = 1;
  expect_error(t, "padding");

  // nfunc far larger than the data: refused before any allocation or loop.
  for (uint64_t nfunc :
       {uint64_t{good.size()}, uint64_t{1} << 40, ~uint64_t{0}, ~uint64_t{0} / 2}) {
    t = good;
    set_u64(t, 8, nfunc);
    expect_error(t, "do not fit");
  }
  // Header offsets past the end.
  t = good;
  set_u64(t, 8 + 8 * 3, uint64_t{1} << 50);  // funcnameOffset
  expect_error(t, "past its");
  t = good;
  set_u64(t, 8 + 8 * 7, good.size());  // pclnOffset
  expect_error(t, "past its");

  const size_t pcln = 8 + 8 * 8;
  const size_t ftab_size = (2 * kFns.size() + 1) * 4;
  auto func_at = [&](size_t i) { return pcln + ftab_size + i * (4 + 4 + 16); };
  // nameOff out of range, negative, and into a name without its terminator.
  t = good;
  t[func_at(1) + 4] = 0xff;
  t[func_at(1) + 5] = 0xff;
  t[func_at(1) + 6] = 0xff;
  t[func_at(1) + 7] = 0x7f;
  expect_error(t, "name offset");
  t[func_at(1) + 7] = 0xff;  // -1
  expect_error(t, "name offset");
  t = good;
  t.back() = 'x';
  expect_error(t, "not terminated");
  // funcoff out of range; an _func that disagrees with the ftab; entries out of order.
  t = good;
  t[pcln + 4 + 3] = 0x10;
  expect_error(t, "past the table's end");
  t = good;
  t[func_at(2)] = 0x91;
  expect_error(t, "disagrees");
  t = good;
  t[pcln + 8] = 0x20;  // function 1 at 0x20, function 2 still at 0x90: fine; now 0 is after 1
  t[pcln] = 0x30;
  t[func_at(0)] = 0x30;
  t[func_at(1)] = 0x20;
  expect_error(t, "not sorted");
}

// Names cannot multiply memory: every function pointing at one long name is refused.
TEST(Pclntab, RepeatedLongNameIsRefused) {
  std::vector<Fn> fns;
  for (int i = 0; i < 64; i++) fns.push_back({"", static_cast<uint64_t>(i) * 16});
  fns[0].name = std::string(4000, 'a');
  auto t = build_table(0xfffffff1, fns, 64 * 16);
  ASSERT_TRUE(parse_pclntab(t, 0x401000));
  const size_t ftab_size = (2 * fns.size() + 1) * 4;
  for (size_t i = 0; i < fns.size(); i++) {
    size_t name_off_at = 8 + 8 * 8 + ftab_size + i * 24 + 4;
    std::memset(t.data() + name_off_at, 0, 4);  // every function named by the long name
  }
  auto tab = parse_pclntab(t, 0x401000);
  ASSERT_FALSE(tab);
  EXPECT_NE(tab.error().message.find("add up to more"), std::string::npos) << tab.error().message;
}

// Random damage never crashes the parser (run under ASan/UBSan to see more): a small table
// anywhere, the real go1.27 table in its header and at the start of its ftab.
TEST(Pclntab, RandomCorruptionNeverCrashes) {
  auto good = build_table(0xfffffff1, kFns, 0x100);
  auto real = ElfFile::open(probe_path(go_labels().back(), "gc"));
  ASSERT_TRUE(real) << real.error().message;
  const gri::goelf::Section* s = real->find_section(".gopclntab");
  ASSERT_NE(s, nullptr);
  auto section = real->section_data(*s);
  ASSERT_TRUE(section);
  std::vector<uint8_t> real_table(section->begin(), section->end());
  uint64_t pcln_offset = 0;
  std::memcpy(&pcln_offset, real_table.data() + 8 + 8 * 7, 8);
  ASSERT_LT(pcln_offset + 4096, real_table.size());
  std::mt19937 rng(42);
  for (int round = 0; round < 3000; round++) {
    bool small = round % 6 != 0;
    std::vector<uint8_t>& base = small ? good : real_table;
    std::vector<std::pair<size_t, uint8_t>> saved;
    for (int k = 0, n = 1 + static_cast<int>(rng() % 4); k < n; k++) {
      size_t at = small ? rng() % base.size()
                  : rng() % 2 ? rng() % 72
                              : pcln_offset + rng() % 4096;
      saved.emplace_back(at, base[at]);
      base[at] = static_cast<uint8_t>(rng());
    }
    auto tab = parse_pclntab(base, 0x401000);
    if (tab) {
      for (const PclnFunction& f : tab->functions) ASSERT_LE(f.entry, f.end);
    }
    for (auto it = saved.rbegin(); it != saved.rend(); ++it) base[it->first] = it->second;
  }
}

}  // namespace
