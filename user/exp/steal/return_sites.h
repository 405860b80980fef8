// Where gri steal probes runtime.runqgrab at a low cost: at its call in runqsteal and the
// conditional jump that tests its result there (uprobes there are emulated, not
// single-stepped), or else at its entry and the RETs that can return something other than 0.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/result.h"
#include "goelf/elf_file.h"

namespace gri::exp::steal {

// Offsets (from addr) of the RETs of `code` (a whole function body at `addr`) that return a
// constant 0 in the first result register: a block `XOR EAX, EAX` followed only by epilogue
// instructions that leave RAX alone (ADD RSP; POP RBP; MOV RBP from the frame; NOP) and RET,
// which no branch enters after the XOR. Go compiles each `return 0` of runtime.runqgrab so
// (Go 1.19, 1.26, 1.27 amd64: XORL AX, AX; [MOVQ 0x10(SP), BP]; ADDQ $n, SP; [POPQ BP]; RET).
// Any other shape is not listed, so its RET stays probed: never a wrong count, only a dearer one.
Result<std::vector<uint64_t>> constant_zero_returns(goelf::Arch arch, std::span<const uint8_t> code,
                                                    uint64_t addr);

// Where a caller's one call of `callee` can be probed cheaply (offsets from addr in `code`):
// the CALL itself, where the callee's arguments are in their registers, and the conditional
// jump that tests its result: CALL callee; [NOP...]; TEST EAX, EAX; Jcc, where the result is
// still in RAX. x86-64 uprobes emulate a CALL and a Jcc (arch/x86/kernel/uprobes.c,
// branch_setup_xol_ops) instead of single-stepping them, so each costs about what a probe on
// a PUSH does. runtime.runqsteal calls runqgrab so and tests its n (`if n == 0 { return nil }`,
// Go 1.19-1.27 src/runtime/proc.go; 1.19 puts a NOPL after the CALL). An error says why when
// there is no single such site.
struct CallSites {
  uint64_t call = 0;
  uint64_t test_jump = 0;
};
Result<CallSites> call_sites(goelf::Arch arch, std::span<const uint8_t> code, uint64_t addr,
                             uint64_t callee);

}  // namespace gri::exp::steal
