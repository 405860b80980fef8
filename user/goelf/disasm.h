// Disassembly of Go functions (Capstone): where an entry probe goes (after the stack-check
// prologue) and where the function returns (every RET, for return probes: never uretprobes).
//
// A Go function's prologue compares SP with g.stackguard0 and, when the stack must grow,
// calls morestack, which copies the stack and jumps back to the function's first
// instruction. A probe there fires twice for such a call (measured: 1000 goroutines each
// calling a function with a 64 KB frame once gave 2000 hits at the entry and 1000 after
// the check, go1.26). The first instruction after the check's conditional jump runs
// exactly once per call.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <span>
#include <vector>

#include "common/result.h"
#include "goelf/elf_file.h"

namespace gri::goelf {

struct Prologue {
  uint64_t entry_offset = 0;  // bytes from the function's start to the probe point
  bool stack_check = false;   // false: a nosplit function, probed at its first byte
  // With a stack check: bytes from the start to its JBE, the jump to morestack. x86-64
  // uprobes emulate a Jcc, and the jump is not taken exactly once per call (taken, morestack
  // grows the stack and the function starts again), so a probe there that skips when the
  // flags say "below or equal" counts calls exactly, as the entry_offset probe does.
  uint64_t check_jump_offset = 0;
};

// code: the first bytes of the function (64 are enough for every shape seen in
// Go 1.19-1.27), addr: its virtual address.
Result<Prologue> find_prologue(Arch arch, std::span<const uint8_t> code, uint64_t addr);

// True when code's first instruction is a PUSH: x86-64 uprobes emulate it (Linux 6.x)
// instead of single-stepping it, which makes a probe there far cheaper (uprobe_check.h).
bool starts_with_push(Arch arch, std::span<const uint8_t> code);

// Offsets (from addr) of every RET instruction in code, the function's whole body. Found by
// decoding instruction by instruction, never by scanning for a byte value (0xC3 appears
// inside other instructions). Trailing INT3 padding is fine; an undecodable byte inside the
// body is an error.
Result<std::vector<uint64_t>> find_returns(Arch arch, std::span<const uint8_t> code, uint64_t addr);

// One RIP-relative memory operand: Go's amd64 code reaches every package-level variable this
// way (MOVQ runtime.sched+16(SB), AX is MOVQ 0x...(%rip), %rax), in PIE and non-PIE builds
// alike.
struct RipRef {
  uint64_t insn = 0;    // the instruction's address
  uint64_t target = 0;  // the address the operand names: next instruction + displacement
};

// Every RIP-relative memory operand of the function's body, in instruction order (decoded
// instruction by instruction, as find_returns). An undecodable byte ends the list early and
// is an error only when nothing came before it.
Result<std::vector<RipRef>> find_rip_refs(Arch arch, std::span<const uint8_t> code, uint64_t addr);

// The targets of the function's direct CALLs (CALL rel32), in instruction order.
Result<std::vector<uint64_t>> find_call_targets(Arch arch, std::span<const uint8_t> code,
                                                uint64_t addr);

// How many times each instruction mnemonic ("pcmpeqb", "pmovmskb", "ret", ...) appears in the
// function's body, decoded as find_returns decodes it. Used to check what code a release
// compiled (e.g. the SSE2 group matching of swiss maps, go1.24+ internal/runtime/maps).
Result<std::map<std::string, uint64_t>> count_mnemonics(Arch arch, std::span<const uint8_t> code,
                                                        uint64_t addr);

// One decoded instruction, with what a probe placed on it costs and what a caller needs to
// find loops and blocks: direct branch targets, and operands reduced to registers (as their
// 64-bit register: ebx is rbx), immediates and memory.
struct Operand {
  enum Kind : uint8_t { kReg, kImm, kMem } kind = kReg;
  std::string reg;  // kReg: "rbx"; kMem: the base register ("rsp", "rip", "" for none)
  int64_t imm = 0;  // kImm: the value; kMem: the displacement
};
struct Instruction {
  uint64_t addr = 0;
  uint8_t size = 0;
  std::string mnemonic;                // capstone's: "jae", "pmovmskb", "bsf"
  std::vector<Operand> operands;       // Intel order: destination first
  bool jump = false, conditional = false, call = false, ret = false;
  std::optional<uint64_t> target;      // a direct JMP, Jcc or CALL's destination
  // x86-64 uprobes emulate this instruction instead of single-stepping it (Linux
  // arch/x86/kernel/uprobes.c: branch_setup_xol_ops takes JMP, Jcc and CALL rel without a 0x66
  // prefix and 0x90 NOPs; push_setup_xol_ops PUSH of a register): a probe here costs a trap,
  // not a trap and a single step (go1.19 vs go1.21 entry probes, uprobe_check.h).
  bool emulated = false;
};
// Every instruction of the function's body, decoded as find_returns decodes it.
Result<std::vector<Instruction>> decode_function(Arch arch, std::span<const uint8_t> code,
                                                 uint64_t addr);

}  // namespace gri::goelf
