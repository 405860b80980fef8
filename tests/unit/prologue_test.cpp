// goelf::find_prologue: the three amd64 stack-check shapes, nosplit functions, and the
// real runtime functions of every toolchain against go tool objdump.
#include <gtest/gtest.h>

#include <regex>
#include <sstream>
#include <vector>

#include "go_probes.h"
#include "goelf/elf_file.h"
#include "goelf/prologue.h"
#include "probe/go_uprobe.h"

namespace {

using gri::goelf::Arch;
using gri::goelf::find_prologue;
using namespace gri::test;

struct Shape {
  const char* name;
  std::vector<uint8_t> code;
  uint64_t entry_offset;
};

class PrologueShapeTest : public ::testing::TestWithParam<Shape> {};

TEST_P(PrologueShapeTest, EntryIsAfterTheJbe) {
  auto p = find_prologue(Arch::kX86_64, GetParam().code, 0x426e00);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_TRUE(p->stack_check);
  EXPECT_EQ(p->entry_offset, GetParam().entry_offset);
}

INSTANTIATE_TEST_SUITE_P(
    Amd64, PrologueShapeTest,
    ::testing::Values(
        // CMPQ SP, 0x10(R14); JBE rel32; ADDQ $-0x80, SP  (go1.19 runtime.gcStart)
        Shape{"SmallFrame",
              {0x49, 0x3b, 0x66, 0x10, 0x0f, 0x86, 0x32, 0x05, 0x00, 0x00, 0x48, 0x83, 0xc4, 0x80},
              10},
        // LEAQ -0x90(SP), R12; CMPQ R12, 0x10(R14); JBE rel32; PUSHQ BP  (go1.26 runtime.gcStart)
        Shape{"MediumFrame",
              {0x4c, 0x8d, 0xa4, 0x24, 0x70, 0xff, 0xff, 0xff, 0x4d, 0x3b, 0x66, 0x10, 0x0f, 0x86,
               0x89, 0x07, 0x00, 0x00, 0x55},
              18},
        // MOVQ SP, R12; SUBQ $0x10000, R12; JB rel32; CMPQ R12, 0x10(R14); JBE rel32; PUSHQ BP
        Shape{"HugeFrame",
              {0x49, 0x89, 0xe4, 0x49, 0x81, 0xec, 0x00, 0x00, 0x01, 0x00, 0x0f, 0x82, 0x20, 0x00,
               0x00, 0x00, 0x4d, 0x3b, 0x66, 0x10, 0x0f, 0x86, 0x10, 0x00, 0x00, 0x00, 0x55},
              26}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(Prologue, NosplitFunctionIsProbedAtItsStart) {
  // MOVQ 0x8(SP), AX; RET
  std::vector<uint8_t> code = {0x48, 0x8b, 0x44, 0x24, 0x08, 0xc3};
  auto p = find_prologue(Arch::kX86_64, code, 0x1000);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_FALSE(p->stack_check);
  EXPECT_EQ(p->entry_offset, 0u);
}

TEST(Prologue, CheckWithoutJbeIsAnError) {
  // CMPQ SP, 0x10(R14); NOP: never emitted by Go; must not be guessed around.
  std::vector<uint8_t> code = {0x49, 0x3b, 0x66, 0x10, 0x90};
  auto p = find_prologue(Arch::kX86_64, code, 0x1000);
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().message.find("not JBE"), std::string::npos) << p.error().message;
}

TEST(Prologue, Arm64IsNotDecodedYet) {
  std::vector<uint8_t> code = {0x00, 0x00, 0x00, 0x00};
  EXPECT_FALSE(find_prologue(Arch::kArm64, code, 0x1000));
}

// go tool objdump -s '^fn$': the first instruction after the first JBE.
uint64_t objdump_entry_offset(const std::string& binary, const std::string& fn) {
  std::string out = run_command(go_command() + " tool objdump -s '^" + fn + "$' " + binary);
  std::regex insn(R"(^\s+\S+:\d+\s+0x([0-9a-f]+)\s+[0-9a-f]+\s+(\S+))");
  std::istringstream in(out);
  uint64_t start = 0;
  bool after_jbe = false;
  std::smatch m;
  for (std::string line; std::getline(in, line);) {
    if (!std::regex_search(line, m, insn)) continue;
    uint64_t addr = std::stoull(m[1], nullptr, 16);
    if (start == 0) start = addr;
    if (after_jbe) return addr - start;
    after_jbe = m[2] == "JBE";
  }
  ADD_FAILURE() << "no JBE in " << fn << " of " << binary;
  return 0;
}

class RealPrologueTest : public ::testing::TestWithParam<std::string> {};

TEST_P(RealPrologueTest, EntryAfterStackCheckMatchesObjdump) {
  for (const char* variant : {"", "-pie"}) {
    std::string bin = probe_path(GetParam(), "gc", variant);
    auto elf = gri::goelf::ElfFile::open(bin);
    ASSERT_TRUE(elf) << elf.error().message;
    for (const char* fn : {"runtime.gcStart", "runtime.gcMarkTermination"}) {
      auto point = gri::probe::resolve_entry(*elf, fn);
      ASSERT_TRUE(point) << point.error().message;
      EXPECT_EQ(point->entry_offset, objdump_entry_offset(bin, fn)) << fn << " in " << bin;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Toolchains, RealPrologueTest, ::testing::ValuesIn(go_labels()),
                         [](const auto& info) { return param_name(info.param); });

TEST(ResolveEntry, NonGoBinarySaysWhy) {
  auto elf = gri::goelf::ElfFile::open("/bin/true");
  ASSERT_TRUE(elf) << elf.error().message;
  auto point = gri::probe::resolve_entry(*elf, "runtime.gcStart");
  ASSERT_FALSE(point);
  EXPECT_NE(point.error().message.find("cannot resolve runtime.gcStart in /bin/true"),
            std::string::npos)
      << point.error().message;
}

}  // namespace
