// Runtime globals of stripped binaries, found from code (goelf/globals.h), checked against
// the symbol table of the same program.
//
// Two kinds of stripped twin: `strip --strip-all` of the plain binary keeps every loaded
// byte where it was, so every global must be at its .symtab address exactly; the go-probes'
// -stripped builds (-ldflags=-s -w, what production images use) are linked anew, and their
// data sections start 0x20 later on go1.26 (the build settings in .go.buildinfo grow by the
// -ldflags string), so there a global's offset inside its section must equal the plain
// build's.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "go_probes.h"
#include "goelf/globals.h"
#include "goelf/go_binary.h"
#include "goelf/runtime_layout.h"

namespace {

using gri::goelf::GoBinary;
using gri::goelf::ResolvedGlobal;
using gri::goelf::resolve_layout;
using gri::goelf::RuntimeLayout;
using gri::goelf::Section;
using namespace gri::test;

GoBinary open(const std::string& path) {
  auto bin = GoBinary::open(path);
  if (!bin) {
    ADD_FAILURE() << bin.error().message;
    std::abort();
  }
  return std::move(*bin);
}

// `strip --strip-all` of `binary` into dir: the same loaded bytes, no .symtab or DWARF.
std::string stripped_copy(const TempDir& dir, const std::string& binary) {
  std::string copy = dir.path() + "/stripped";
  EXPECT_EQ(std::system(("strip --strip-all -o " + copy + " " + binary).c_str()), 0) << binary;
  return copy;
}

const Section* section_at(const GoBinary& bin, uint64_t addr) {
  for (const Section& s : bin.elf().sections()) {
    if (s.addr != 0 && addr >= s.addr && addr - s.addr < s.size) return &s;
  }
  return nullptr;
}

class Globals : public ::testing::TestWithParam<std::string> {};

void expect_found_at_symtab_address(const std::string& plain_path);

// Every global of the catalog, as .symtab has it on the plain build: found at the same
// address on the strip(1)ped copy, from code; absent ones said absent.
// PIE and cgo (externally linked) builds too.
TEST_P(Globals, StripOfThePlainBuildFindsEveryGlobalAtItsSymtabAddress) {
  for (const ProbeBinary& b : probe_binaries({"", "-pie", "-cgo"})) {
    if (b.label == GetParam()) expect_found_at_symtab_address(b.path("gc"));
  }
}

void expect_found_at_symtab_address(const std::string& plain_path) {
  SCOPED_TRACE(plain_path);
  TempDir dir;
  std::string copy = stripped_copy(dir, plain_path);
  GoBinary plain = open(plain_path), stripped = open(copy);
  ASSERT_TRUE(stripped.stripped());
  RuntimeLayout layout = resolve_layout(stripped);
  size_t found = 0;
  for (const ResolvedGlobal& g : layout.globals) {
    const gri::goelf::Symbol* sym = nullptr;
    for (const auto& spec : gri::goelf::global_catalog()) {
      if (spec.names.front() != g.name) continue;
      for (auto name : spec.names) {
        if (!sym) sym = plain.elf().find_object(name);
      }
    }
    if (!sym) {
      EXPECT_FALSE(g.address) << g.name << " is not in " << plain_path << " but was found";
      EXPECT_NE(g.reason.find("does not exist in go"), std::string::npos) << g.reason;
      continue;
    }
    ASSERT_TRUE(g.address) << g.name << ": " << g.reason;
    EXPECT_EQ(*g.address, sym->addr) << g.name << " " << g.source;
    EXPECT_EQ(g.size, sym->size) << g.name;
    EXPECT_EQ(g.symbol, sym->name);
    EXPECT_TRUE(g.source.starts_with("code: runtime.") ||
                g.source.starts_with("code: internal/runtime/"))
        << g.source;
    ++found;
  }
  // go1.19 has no stwReasonStrings; every other release has all 17.
  EXPECT_GE(found, 16u);
}

// The -ldflags=-s -w builds of every workload: each global at the plain build's offset
// inside the same section.
TEST_P(Globals, EveryStrippedWorkloadFindsGlobalsAtThePlainOffsetInTheirSection) {
  for (const char* name : {"gc", "alloc", "sched", "steal", "preempt", "wb", "httpload",
                           "gcload", "memlimit", "trace"}) {
    GoBinary plain = open(probe_path(GetParam(), name));
    GoBinary stripped = open(probe_path(GetParam(), name, "-stripped"));
    RuntimeLayout layout = resolve_layout(stripped);
    for (const ResolvedGlobal& g : layout.globals) {
      const gri::goelf::Symbol* sym = g.symbol.empty() ? nullptr : plain.elf().find_object(g.symbol);
      if (!g.address) {
        EXPECT_NE(g.reason.find("does not exist in go"), std::string::npos)
            << name << " " << g.name << ": " << g.reason;
        continue;
      }
      ASSERT_NE(sym, nullptr) << name << " " << g.symbol;
      const Section* ps = section_at(plain, sym->addr);
      const Section* ss = section_at(stripped, *g.address);
      ASSERT_TRUE(ps && ss) << name << " " << g.name;
      EXPECT_EQ(ss->name, ps->name) << name << " " << g.name;
      EXPECT_EQ(*g.address - ss->addr, sym->addr - ps->addr)
          << name << " " << g.name << " " << g.source;
    }
  }
}

// A binary whose code differs from what was learned (another patch release, a changed
// function) must not yield a wrong address: one reference of runtime.sched made to name
// sched+8 instead, and the finder refuses the global, naming the reference.
TEST_P(Globals, AReferenceThatNoLongerHoldsIsRefusedNotFollowed) {
  TempDir dir;
  std::string copy = stripped_copy(dir, probe_path(GetParam(), "gc"));
  GoBinary before = open(copy);
  std::string minor = GetParam().substr(2);
  const gri::goelf::CodeRef* row = nullptr;
  for (const auto& r : gri::goelf::learned_code_refs()) {
    if (r.minor == minor && r.global == "runtime.sched" && !row) row = &r;
  }
  ASSERT_NE(row, nullptr) << "nothing learned for runtime.sched in " << GetParam();
  const gri::goelf::PclnFunction* fn = before.pclntab().find(row->function);
  ASSERT_NE(fn, nullptr) << row->function;
  auto refs = gri::goelf::data_refs(before, *fn);
  ASSERT_TRUE(refs && refs->size() > row->ordinal);
  const gri::goelf::DataRef ref = (*refs)[row->ordinal];
  auto at = before.elf().file_offset(ref.insn);
  ASSERT_TRUE(at);
  // The 32-bit displacement: the one that, with the instruction's length, names the target.
  std::string image = read_file(copy);
  size_t disp_at = 0;
  for (size_t p = 1; p + 4 <= 15 && !disp_at; ++p) {
    int32_t disp;
    std::memcpy(&disp, image.data() + *at + p, 4);
    for (size_t len = p + 4; len <= p + 8; ++len) {
      if (ref.insn + len + static_cast<int64_t>(disp) == ref.target) disp_at = *at + p;
    }
  }
  ASSERT_NE(disp_at, 0u);
  int32_t disp;
  std::memcpy(&disp, image.data() + disp_at, 4);
  disp += 8;
  std::memcpy(image.data() + disp_at, &disp, 4);
  {
    std::ofstream out(copy, std::ios::binary | std::ios::trunc);
    out.write(image.data(), static_cast<std::streamsize>(image.size()));
  }
  RuntimeLayout layout = resolve_layout(open(copy));
  const ResolvedGlobal* sched = layout.global("runtime.sched");
  ASSERT_NE(sched, nullptr);
  EXPECT_FALSE(sched->address) << sched->source;
  EXPECT_NE(sched->reason.find(std::string(row->function)), std::string::npos) << sched->reason;
  // The other globals are untouched.
  EXPECT_TRUE(layout.address("runtime.allp"));
}

TEST(GlobalsUnknownRelease, AreMissingWithTheReason) {
  TempDir dir;
  std::string copy = stripped_copy(dir, probe_path(go_labels().back(), "gc"));
  RuntimeLayout layout = resolve_layout(open(copy), "go1.99.0");
  for (const ResolvedGlobal& g : layout.globals) {
    EXPECT_FALSE(g.address) << g.name;
    EXPECT_NE(g.reason.find("no code references learned for go1.99"), std::string::npos)
        << g.reason;
  }
}

INSTANTIATE_TEST_SUITE_P(Toolchains, Globals, ::testing::ValuesIn(go_labels()),
                         [](const auto& info) { return param_name(info.param); });

}  // namespace
