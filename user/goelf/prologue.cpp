#include "goelf/prologue.h"

#include <capstone/capstone.h>

namespace gri::goelf {

namespace {

// The stack check is within the first few instructions; amd64 shapes (Go 1.19-1.27,
// go tool objdump of runtime.gcStart and runtime.gcMarkTermination):
//   small frame:  CMPQ SP, 0x10(R14); JBE morestack_call
//   medium frame: LEAQ -n(SP), R12; CMPQ R12, 0x10(R14); JBE ...
//   huge frame:   MOVQ SP, R12; SUBQ $n, R12; JB ...; CMPQ R12, 0x10(R14); JBE ...
// R14 holds g under ABIInternal; the compare reads g.stackguard0 through it.
constexpr size_t kMaxPrologueInsns = 8;

bool compares_through_g(const cs_insn& insn) {
  if (insn.id != X86_INS_CMP || !insn.detail) return false;
  const cs_x86& x86 = insn.detail->x86;
  for (uint8_t i = 0; i < x86.op_count; i++) {
    if (x86.operands[i].type == X86_OP_MEM && x86.operands[i].mem.base == X86_REG_R14) return true;
  }
  return false;
}

struct Capstone {
  csh handle = 0;
  ~Capstone() {
    if (handle) cs_close(&handle);
  }
};

}  // namespace

Result<Prologue> find_prologue(Arch arch, std::span<const uint8_t> code, uint64_t addr) {
  if (arch != Arch::kX86_64) {
    return make_error("stack-check prologues on {} are not decoded yet", arch_name(arch));
  }
  Capstone cs;
  if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs.handle) != CS_ERR_OK) {
    return make_error("capstone: cannot open an x86-64 disassembler");
  }
  cs_option(cs.handle, CS_OPT_DETAIL, CS_OPT_ON);
  cs_insn* insn = cs_malloc(cs.handle);
  const uint8_t* p = code.data();
  size_t left = code.size();
  uint64_t pc = addr;
  bool saw_compare = false;
  Result<Prologue> out = Prologue{};  // no check found: a nosplit function
  for (size_t n = 0; n < kMaxPrologueInsns && cs_disasm_iter(cs.handle, &p, &left, &pc, insn); n++) {
    if (saw_compare) {
      if (insn->id == X86_INS_JBE) {
        out = Prologue{pc - addr, true};
      } else {
        out = make_error("stack check at {:#x} is followed by {} {}, not JBE", pc - insn->size,
                         insn->mnemonic, insn->op_str);
      }
      break;
    }
    saw_compare = compares_through_g(*insn);
  }
  cs_free(insn, 1);
  return out;
}

}  // namespace gri::goelf
