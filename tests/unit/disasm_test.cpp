// goelf::find_prologue and find_returns: the three amd64 stack-check shapes, nosplit
// functions, and the real runtime functions of every toolchain against go tool objdump.
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <sstream>
#include <vector>

#include "go_probes.h"
#include "exp/probe_points.h"
#include "goelf/disasm.h"
#include "goelf/go_binary.h"
#include "probe/go_uprobe.h"

namespace {

using gri::goelf::Arch;
using gri::goelf::find_prologue;
using namespace gri::test;

struct Shape {
  const char* name;
  std::vector<uint8_t> code;
  uint64_t entry_offset;
  uint64_t check_jump_offset;
};

class PrologueShapeTest : public ::testing::TestWithParam<Shape> {};

TEST_P(PrologueShapeTest, EntryIsAfterTheJbe) {
  auto p = find_prologue(Arch::kX86_64, GetParam().code, 0x426e00);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_TRUE(p->stack_check);
  EXPECT_EQ(p->entry_offset, GetParam().entry_offset);
  EXPECT_EQ(p->check_jump_offset, GetParam().check_jump_offset) << "the stack check's JBE";
}

INSTANTIATE_TEST_SUITE_P(
    Amd64, PrologueShapeTest,
    ::testing::Values(
        // CMPQ SP, 0x10(R14); JBE rel32; ADDQ $-0x80, SP  (go1.19 runtime.gcStart)
        Shape{"SmallFrame",
              {0x49, 0x3b, 0x66, 0x10, 0x0f, 0x86, 0x32, 0x05, 0x00, 0x00, 0x48, 0x83, 0xc4, 0x80},
              10, 4},
        // LEAQ -0x90(SP), R12; CMPQ R12, 0x10(R14); JBE rel32; PUSHQ BP  (go1.26 runtime.gcStart)
        Shape{"MediumFrame",
              {0x4c, 0x8d, 0xa4, 0x24, 0x70, 0xff, 0xff, 0xff, 0x4d, 0x3b, 0x66, 0x10, 0x0f, 0x86,
               0x89, 0x07, 0x00, 0x00, 0x55},
              18, 12},
        // MOVQ SP, R12; SUBQ $0x10000, R12; JB rel32; CMPQ R12, 0x10(R14); JBE rel32; PUSHQ BP
        Shape{"HugeFrame",
              {0x49, 0x89, 0xe4, 0x49, 0x81, 0xec, 0x00, 0x00, 0x01, 0x00, 0x0f, 0x82, 0x20, 0x00,
               0x00, 0x00, 0x4d, 0x3b, 0x66, 0x10, 0x0f, 0x86, 0x10, 0x00, 0x00, 0x00, 0x55},
              26, 20}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(Prologue, NosplitFunctionIsProbedAtItsStart) {
  // MOVQ 0x8(SP), AX; RET
  std::vector<uint8_t> code = {0x48, 0x8b, 0x44, 0x24, 0x08, 0xc3};
  auto p = find_prologue(Arch::kX86_64, code, 0x1000);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_FALSE(p->stack_check);
  EXPECT_EQ(p->entry_offset, 0u);
}

TEST(Prologue, OtherCompareThroughGIsNoStackCheck) {
  // go1.19 runtime.asyncPreempt2 (nosplit): SUBQ $0x18, SP; MOVQ BP, 0x10(SP);
  // LEAQ 0x10(SP), BP; MOVQ R14, 0x8(SP); MOVB $1, 0xb4(R14); CMPB 0xb2(R14), $0; JE
  std::vector<uint8_t> code = {0x48, 0x83, 0xec, 0x18, 0x48, 0x89, 0x6c, 0x24, 0x10, 0x48,
                               0x8d, 0x6c, 0x24, 0x10, 0x4c, 0x89, 0x74, 0x24, 0x08, 0x41,
                               0xc6, 0x86, 0xb4, 0x00, 0x00, 0x00, 0x01, 0x41, 0x80, 0xbe,
                               0xb2, 0x00, 0x00, 0x00, 0x00, 0x74, 0x0e};
  auto p = find_prologue(Arch::kX86_64, code, 0x434620);
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

TEST(Returns, DecodesInsteadOfScanningBytes) {
  // MOVL $0xc3, AX (b8 c3 00 00 00): a C3 byte that is no RET; then RET; INT3 padding.
  std::vector<uint8_t> code = {0xb8, 0xc3, 0x00, 0x00, 0x00, 0xc3, 0xcc, 0xcc};
  auto rets = gri::goelf::find_returns(Arch::kX86_64, code, 0x1000);
  ASSERT_TRUE(rets) << rets.error().message;
  EXPECT_EQ(*rets, (std::vector<uint64_t>{5}));
}

TEST(Returns, UndecodableBodyIsAnError) {
  std::vector<uint8_t> code = {0xc3, 0x06};  // RET, then PUSH ES: invalid in 64-bit mode
  EXPECT_FALSE(gri::goelf::find_returns(Arch::kX86_64, code, 0x1000));
}

// Bytes of go1.26's runtime.mapaccess1_fast64 (go tool objdump): the swiss group match,
// PCMPEQB X1, X0 then PMOVMSKB X0, R10, a CALL rel32 and a RET.
TEST(Mnemonics, CountsEachInstructionAndFindsCallTargets) {
  std::vector<uint8_t> code = {0x66, 0x0f, 0x74, 0xc1,              // pcmpeqb xmm0, xmm1
                               0x66, 0x44, 0x0f, 0xd7, 0xd0,        // pmovmskb r10d, xmm0
                               0x66, 0x0f, 0x74, 0xc1,              // pcmpeqb xmm0, xmm1
                               0xe8, 0x10, 0x00, 0x00, 0x00,        // call +0x10
                               0xc3, 0xcc, 0xcc};                   // ret, INT3 padding
  auto counts = gri::goelf::count_mnemonics(Arch::kX86_64, code, 0x1000);
  ASSERT_TRUE(counts) << counts.error().message;
  EXPECT_EQ((*counts)["pcmpeqb"], 2u);
  EXPECT_EQ((*counts)["pmovmskb"], 1u);
  EXPECT_EQ((*counts)["call"], 1u);
  EXPECT_EQ((*counts)["ret"], 1u);
  auto calls = gri::goelf::find_call_targets(Arch::kX86_64, code, 0x1000);
  ASSERT_TRUE(calls) << calls.error().message;
  // The CALL at 0x100d is 5 bytes: 0x1012 + 0x10.
  EXPECT_EQ(*calls, std::vector<uint64_t>{0x1022});
  std::vector<uint8_t> bad = {0xc3, 0x06};  // RET, then PUSH ES: invalid in 64-bit mode
  EXPECT_FALSE(gri::goelf::count_mnemonics(Arch::kX86_64, bad, 0x1000));
}

// decode_function on the small fast path's shift loop of go1.26 runtime.mapaccess2_fast64
// (objdump): which instructions x86 uprobes emulate (JMP, Jcc, CALL rel, 0x90 NOPs, PUSH
// reg), jump targets, and registers named as their 64-bit whole (ESI is RSI).
TEST(DecodeFunction, BranchesOperandsAndWhatUprobesEmulate) {
  std::vector<uint8_t> code = {0x48, 0xd1, 0xee,                    // shr rsi
                               0x48, 0x85, 0xf6,                    // test rsi, rsi
                               0x74, 0x05,                          // je +5
                               0x66, 0x90,                          // xchg ax, ax (66 90)
                               0x48, 0x3b, 0x0a,                    // cmp rcx, [rdx]
                               0x31, 0xdb,                          // xor ebx, ebx
                               0x0f, 0x1f, 0x00,                    // nop dword [rax]
                               0x55,                                // push rbp
                               0x48, 0x83, 0xfb, 0x08,              // cmp rbx, 8
                               0xff, 0xd1,                          // call rcx
                               0xe8, 0x00, 0x00, 0x00, 0x00,        // call +0
                               0xc3};                               // ret
  auto insns = gri::goelf::decode_function(Arch::kX86_64, code, 0x1000);
  ASSERT_TRUE(insns) << insns.error().message;
  ASSERT_EQ(insns->size(), 12u);
  const auto& in = *insns;
  EXPECT_EQ(in[0].mnemonic, "shr");
  EXPECT_FALSE(in[0].emulated);
  EXPECT_TRUE(in[2].jump && in[2].conditional && in[2].emulated);
  EXPECT_EQ(in[2].target, std::optional<uint64_t>{0x100d});
  EXPECT_TRUE(in[3].emulated) << "66 90 is a NOP the kernel emulates";
  EXPECT_EQ(in[4].operands.at(1).kind, gri::goelf::Operand::kMem);
  EXPECT_EQ(in[4].operands.at(1).reg, "rdx");
  EXPECT_EQ(in[5].operands.at(0).reg, "rbx") << "ebx is part of rbx";
  EXPECT_FALSE(in[6].emulated) << "0F 1F NOPs are single-stepped";
  EXPECT_TRUE(in[7].emulated) << "PUSH of a register";
  EXPECT_EQ(in[8].operands.at(1).imm, 8);
  EXPECT_TRUE(in[9].call);
  EXPECT_FALSE(in[9].emulated) << "an indirect CALL";
  EXPECT_TRUE(in[10].call && in[10].emulated) << "CALL rel32";
  EXPECT_EQ(in[10].target, std::optional<uint64_t>{0x101e});
  EXPECT_TRUE(in[11].ret);
  EXPECT_FALSE(in[11].emulated);
  std::vector<uint8_t> bad = {0xc3, 0x06};
  EXPECT_FALSE(gri::goelf::decode_function(Arch::kX86_64, bad, 0x1000));
}

struct Objdump {
  uint64_t entry_offset = 0;          // first instruction after the first JBE (0: none)
  uint64_t jbe_offset = 0;            // that JBE
  bool push_after_jbe = false;        // the instruction after it is a PUSHQ
  bool jbe = false;
  std::vector<uint64_t> ret_offsets;  // every RET
};

std::string regex_quote(const std::string& s) {
  return std::regex_replace(s, std::regex(R"([().*\\/])"), R"(\$&)");
}

// go tool objdump as the oracle, one run for all `functions`: "TEXT name(SB) file" starts
// each function, then one line per instruction.
std::map<std::string, Objdump> objdump(const std::string& binary,
                                       const std::vector<std::string>& functions) {
  std::string alternatives;
  for (const std::string& f : functions) alternatives += (alternatives.empty() ? "" : "|") + regex_quote(f);
  // Assembly functions (runtime.exit) are TEXT runtime.exit.abi0 in objdump, runtime.exit in
  // the pclntab: the suffix is matched too (the caller prefers the plain name, for functions
  // that have an ABI wrapper besides).
  std::string out =
      run_command(go_command() + " tool objdump -s '^(" + alternatives + ")([.]abi0)?$' " + binary);
  std::regex text(R"(^TEXT (.*)\(SB\))");
  std::regex insn(R"(^\s+\S+:\d+\s+0x([0-9a-f]+)\s+[0-9a-f]+\s+(\S+))");
  std::map<std::string, Objdump> result;
  Objdump* cur = nullptr;
  uint64_t start = 0;
  bool after_jbe = false;
  std::istringstream in(out);
  std::smatch m;
  for (std::string line; std::getline(in, line);) {
    if (std::regex_search(line, m, text)) {
      cur = &result[m[1]];
      start = 0;
      after_jbe = false;
      continue;
    }
    if (!cur || !std::regex_search(line, m, insn)) continue;
    uint64_t addr = std::stoull(m[1], nullptr, 16);
    if (start == 0) start = addr;
    if (after_jbe && !cur->jbe) {
      cur->entry_offset = addr - start;
      cur->push_after_jbe = m[2] == "PUSHQ";
      cur->jbe = true;
    }
    // Only a JBE among the first instructions is the stack check's.
    after_jbe = m[2] == "JBE" && addr - start < 32;
    if (after_jbe && !cur->jbe) cur->jbe_offset = addr - start;
    if (m[2] == "RET") cur->ret_offsets.push_back(addr - start);
  }
  return result;
}

class RealFunctionTest : public ::testing::TestWithParam<ProbeBinary> {};

// Entry and RET sites of every probe point in the binary equal objdump's, in plain, stripped
// and PIE builds (a stripped binary's functions come from .gopclntab alone).
TEST_P(RealFunctionTest, SitesOfEveryProbePointMatchObjdump) {
  std::string bin_path = GetParam().path("gc");
  std::string twin = probe_path(GetParam().label, "gc", GetParam().variant == "-pie" ? "-pie" : "");
  auto bin = gri::goelf::GoBinary::open(bin_path);
  ASSERT_TRUE(bin) << bin.error().message;
  std::vector<std::string> present;
  for (const auto& spec : gri::exp::probe_points()) {
    if (bin->find_function(spec.symbol)) present.emplace_back(spec.symbol);
  }
  ASSERT_GT(present.size(), 25u);
  auto oracle = objdump(twin, present);
  for (const std::string& fn : present) {
    auto point = gri::probe::resolve_probe_point(*bin, fn);
    ASSERT_TRUE(point) << point.error().message;
    std::string name = oracle.count(fn) ? fn : fn + ".abi0";
    ASSERT_TRUE(oracle.count(name)) << fn << " not in objdump's output";
    const Objdump& o = oracle[name];
    EXPECT_EQ(point->stack_check, o.jbe) << fn << " in " << bin_path;
    EXPECT_EQ(point->entry_offset, o.entry_offset) << fn << " in " << bin_path;
    // The entry probe: after the check where that instruction is a PUSH (emulated), else on
    // the check's JBE (emulated too); at the start of a nosplit function.
    uint64_t probe = !o.jbe ? 0 : o.push_after_jbe ? o.entry_offset : o.jbe_offset;
    EXPECT_EQ(point->probe_offset, probe) << fn << " in " << bin_path;
    if (o.jbe) {
      EXPECT_TRUE(point->entry_emulated) << fn << " in " << bin_path;
    }
    EXPECT_EQ(point->ret_offsets, o.ret_offsets) << fn << " in " << bin_path;
  }
}

// Every RET site of every probe point present decodes as a RET (C3, or C2 imm16).
TEST_P(RealFunctionTest, EveryRetSiteIsARet) {
  auto bin = gri::goelf::GoBinary::open(GetParam().path("gc"));
  ASSERT_TRUE(bin) << bin.error().message;
  int checked = 0;
  for (const auto& spec : gri::exp::probe_points()) {
    if (!bin->find_function(spec.symbol)) continue;
    auto point = gri::probe::resolve_probe_point(*bin, spec.symbol);
    ASSERT_TRUE(point) << point.error().message;
    for (uint64_t off : point->ret_offsets) {
      auto byte = bin->elf().read(point->addr + off, 1);
      ASSERT_TRUE(byte && byte->size() == 1);
      EXPECT_TRUE((*byte)[0] == 0xc3 || (*byte)[0] == 0xc2) << spec.symbol << "+" << off;
      checked++;
    }
  }
  EXPECT_GT(checked, 20);
}

INSTANTIATE_TEST_SUITE_P(Toolchains, RealFunctionTest,
                         ::testing::ValuesIn(probe_binaries({"", "-stripped", "-pie"})),
                         [](const auto& info) {
                           return param_name(info.param.label + info.param.variant);
                         });

TEST(GoBinary, NonGoBinarySaysWhy) {
  auto bin = gri::goelf::GoBinary::open("/bin/true");
  ASSERT_FALSE(bin);
  EXPECT_NE(bin.error().message.find("not a Go binary"), std::string::npos)
      << bin.error().message;
}

}  // namespace
