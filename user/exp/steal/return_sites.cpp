#include "exp/steal/return_sites.h"

#include <capstone/capstone.h>

#include <set>

namespace gri::exp::steal {

namespace {

bool is_reg(const cs_x86_op& op, x86_reg reg) { return op.type == X86_OP_REG && op.reg == reg; }

// XOR EAX, EAX (or RAX, RAX): RAX = 0.
bool zeroes_rax(const cs_insn& insn) {
  if (insn.id != X86_INS_XOR || insn.detail->x86.op_count != 2) return false;
  const cs_x86_op* op = insn.detail->x86.operands;
  return (is_reg(op[0], X86_REG_EAX) && is_reg(op[1], X86_REG_EAX)) ||
         (is_reg(op[0], X86_REG_RAX) && is_reg(op[1], X86_REG_RAX));
}

// An instruction of a Go epilogue, which restores the frame and leaves RAX alone.
bool epilogue(const cs_insn& insn) {
  const cs_x86& x = insn.detail->x86;
  switch (insn.id) {
    case X86_INS_NOP:
      return true;
    case X86_INS_ADD:
      return x.op_count == 2 && is_reg(x.operands[0], X86_REG_RSP) && x.operands[1].type == X86_OP_IMM;
    case X86_INS_POP:
      return x.op_count == 1 && is_reg(x.operands[0], X86_REG_RBP);
    case X86_INS_MOV:
      return x.op_count == 2 && is_reg(x.operands[0], X86_REG_RBP) && x.operands[1].type == X86_OP_MEM &&
             x.operands[1].mem.base == X86_REG_RSP;
    default:
      return false;
  }
}

bool in_group(const cs_insn& insn, uint8_t group) {
  for (uint8_t i = 0; i < insn.detail->groups_count; i++) {
    if (insn.detail->groups[i] == group) return true;
  }
  return false;
}

bool is_branch(const cs_insn& insn) { return in_group(insn, CS_GRP_JUMP); }

// TEST EAX, EAX (or RAX, RAX): sets the flags from the result, leaves RAX alone.
bool tests_rax(const cs_insn& insn) {
  if (insn.id != X86_INS_TEST || insn.detail->x86.op_count != 2) return false;
  const cs_x86_op* op = insn.detail->x86.operands;
  return (is_reg(op[0], X86_REG_EAX) && is_reg(op[1], X86_REG_EAX)) ||
         (is_reg(op[0], X86_REG_RAX) && is_reg(op[1], X86_REG_RAX));
}

bool is_conditional_jump(const cs_insn& insn) {
  return is_branch(insn) && insn.id != X86_INS_JMP && insn.detail->x86.op_count == 1 &&
         insn.detail->x86.operands[0].type == X86_OP_IMM;
}

struct Handle {
  csh h = 0;
  ~Handle() {
    if (h) cs_close(&h);
  }
};

struct Insns {
  cs_insn* insn = nullptr;
  size_t n = 0;
  ~Insns() {
    if (n) cs_free(insn, n);
  }
};

// Decodes a whole function body with details; the error names the address.
Status decode(csh h, std::span<const uint8_t> code, uint64_t addr, Insns& out) {
  // cs_disasm stops at the first byte it cannot decode (Go's INT3 padding decodes): what
  // follows such a byte is not looked at.
  out.n = cs_disasm(h, code.data(), code.size(), addr, 0, &out.insn);
  if (out.n == 0) return make_error("cannot decode the function at {:#x}", addr);
  return {};
}

Status open_x86(goelf::Arch arch, Handle& cs) {
  if (arch != goelf::Arch::kX86_64) {
    return make_error("result sites on {} are not decoded yet", goelf::arch_name(arch));
  }
  if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs.h) != CS_ERR_OK) {
    return make_error("capstone: cannot open an x86-64 disassembler");
  }
  cs_option(cs.h, CS_OPT_DETAIL, CS_OPT_ON);
  return {};
}

}  // namespace

Result<CallSites> call_sites(goelf::Arch arch, std::span<const uint8_t> code, uint64_t addr,
                             uint64_t callee) {
  Handle cs;
  if (auto ok = open_x86(arch, cs); !ok) return ok.error();
  Insns all;
  if (auto ok = decode(cs.h, code, addr, all); !ok) return ok.error();
  // A jump straight to the test or the Jcc would bring another RAX or other flags.
  std::set<uint64_t> targets;
  for (size_t i = 0; i < all.n; i++) {
    const cs_insn& insn = all.insn[i];
    const cs_x86& x = insn.detail->x86;
    if (is_branch(insn) && x.op_count == 1 && x.operands[0].type == X86_OP_IMM) {
      targets.insert(static_cast<uint64_t>(insn.detail->x86.operands[0].imm));
    }
  }
  std::vector<CallSites> sites;
  size_t calls = 0;
  for (size_t i = 0; i < all.n; i++) {
    const cs_insn& call = all.insn[i];
    if (call.id != X86_INS_CALL || call.detail->x86.op_count != 1 ||
        call.detail->x86.operands[0].type != X86_OP_IMM ||
        static_cast<uint64_t>(call.detail->x86.operands[0].imm) != callee) {
      continue;
    }
    calls++;
    size_t j = i + 1;
    while (j < all.n && all.insn[j].id == X86_INS_NOP) j++;
    if (j + 1 < all.n && tests_rax(all.insn[j]) && is_conditional_jump(all.insn[j + 1]) &&
        !targets.count(all.insn[j].address) && !targets.count(all.insn[j + 1].address)) {
      sites.push_back({call.address - addr, all.insn[j + 1].address - addr});
    }
  }
  if (calls != 1) return make_error("{} calls of {:#x} where one was expected", calls, callee);
  if (sites.empty()) {
    return make_error("the result of the call of {:#x} is not tested by TEST EAX, EAX; Jcc", callee);
  }
  return sites.front();
}

Result<std::vector<uint64_t>> constant_zero_returns(goelf::Arch arch, std::span<const uint8_t> code,
                                                    uint64_t addr) {
  Handle cs;
  if (auto ok = open_x86(arch, cs); !ok) return ok.error();
  Insns all;
  if (auto ok = decode(cs.h, code, addr, all); !ok) return ok.error();
  const cs_insn* raw = all.insn;
  const size_t n = all.n;

  // Where branches land: a block entered past its XOR may not return 0.
  std::set<uint64_t> targets;
  for (size_t i = 0; i < n; i++) {
    const cs_insn& insn = raw[i];
    if (!is_branch(insn)) continue;
    const cs_x86& x = insn.detail->x86;
    if (x.op_count == 1 && x.operands[0].type == X86_OP_IMM) {
      targets.insert(static_cast<uint64_t>(x.operands[0].imm));
    }
  }
  std::vector<uint64_t> out;
  for (size_t i = 0; i < n; i++) {
    if (raw[i].id != X86_INS_RET) continue;
    size_t j = i;
    bool entered = targets.count(raw[i].address) != 0;
    while (j > 0 && !entered && epilogue(raw[j - 1])) {
      j--;
      entered = targets.count(raw[j].address) != 0;
    }
    if (!entered && j > 0 && zeroes_rax(raw[j - 1])) out.push_back(raw[i].address - addr);
  }
  return out;
}

}  // namespace gri::exp::steal
