#include "goelf/disasm.h"

#include <capstone/capstone.h>

#include <algorithm>
#include <cctype>

namespace gri::goelf {

namespace {

// The stack check is within the first few instructions; amd64 shapes (Go 1.19-1.27,
// go tool objdump of runtime.gcStart and runtime.gcMarkTermination):
//   small frame:  CMPQ SP, 0x10(R14); JBE morestack_call
//   medium frame: LEAQ -n(SP), R12; CMPQ R12, 0x10(R14); JBE ...
//   huge frame:   MOVQ SP, R12; SUBQ $n, R12; JB ...; CMPQ R12, 0x10(R14); JBE ...
// R14 holds g under ABIInternal; the compare reads g.stackguard0 through it.
constexpr size_t kMaxPrologueInsns = 8;

// The check compares SP (or R12 = SP - framesize) with g.stackguard0 through R14. The
// register operand matters: nosplit functions may compare other g fields early, e.g. go1.19
// runtime.asyncPreempt2 does CMPB 0xb2(R14), $0 (g.preemptStop) then JE.
bool is_stack_check(const cs_insn& insn) {
  if (insn.id != X86_INS_CMP || !insn.detail) return false;
  const cs_x86& x86 = insn.detail->x86;
  bool through_g = false, sp_like = false;
  for (uint8_t i = 0; i < x86.op_count; i++) {
    const cs_x86_op& op = x86.operands[i];
    if (op.type == X86_OP_MEM && op.mem.base == X86_REG_R14) through_g = true;
    if (op.type == X86_OP_REG && (op.reg == X86_REG_RSP || op.reg == X86_REG_R12)) sp_like = true;
  }
  return through_g && sp_like;
}

struct Capstone {
  csh handle = 0;
  ~Capstone() {
    if (handle) cs_close(&handle);
  }
};

// One pass over a function's x86-64 code, instruction by instruction.
struct X86Pass {
  Capstone cs;
  cs_insn* insn = nullptr;
  const uint8_t* p = nullptr;
  size_t left = 0;
  uint64_t pc = 0;  // after next(): the address of the instruction that follows
  ~X86Pass() {
    if (insn) cs_free(insn, 1);
  }
  bool next() { return left > 0 && cs_disasm_iter(cs.handle, &p, &left, &pc, insn); }
};

// `what` names the decoding for the error on other architectures; detail: operands too.
Status start(X86Pass* pass, Arch arch, std::string_view what, std::span<const uint8_t> code,
             uint64_t addr, bool detail) {
  if (arch != Arch::kX86_64) return make_error("{} on {} are not decoded yet", what, arch_name(arch));
  if (cs_open(CS_ARCH_X86, CS_MODE_64, &pass->cs.handle) != CS_ERR_OK) {
    return make_error("capstone: cannot open an x86-64 disassembler");
  }
  if (detail) cs_option(pass->cs.handle, CS_OPT_DETAIL, CS_OPT_ON);
  pass->insn = cs_malloc(pass->cs.handle);
  pass->p = code.data();
  pass->left = code.size();
  pass->pc = addr;
  return {};
}

// Decodes the whole body, instruction by instruction. Go pads functions with INT3 (0xCC),
// which decodes; anything else that does not is a desync, an error.
template <typename F>
Status each_instruction(X86Pass& x, F&& f) {
  while (x.left > 0) {
    if (!x.next()) {
      bool padding = std::all_of(x.p, x.p + x.left, [](uint8_t b) { return b == 0xcc || b == 0x00; });
      if (padding) break;
      return make_error("cannot decode the instruction at {:#x}", x.pc);
    }
    f(*x.insn);
  }
  return {};
}

}  // namespace

bool starts_with_push(Arch arch, std::span<const uint8_t> code) {
  if (arch != Arch::kX86_64 || code.empty()) return false;
  Capstone cs;
  if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs.handle) != CS_ERR_OK) return false;
  cs_insn* insn = nullptr;
  size_t n = cs_disasm(cs.handle, code.data(), code.size(), 0, 1, &insn);
  bool push = n == 1 && insn[0].id == X86_INS_PUSH;
  if (n) cs_free(insn, n);
  return push;
}

Result<std::vector<uint64_t>> find_returns(Arch arch, std::span<const uint8_t> code, uint64_t addr) {
  X86Pass x;
  // No detail needed: the instruction id says RET.
  if (Status st = start(&x, arch, "return sites", code, addr, false); !st) return st.error();
  std::vector<uint64_t> out;
  Status st = each_instruction(x, [&](const cs_insn& i) {
    if (i.id == X86_INS_RET) out.push_back(i.address - addr);
  });
  if (!st) return st.error();
  return out;
}

Result<std::vector<uint64_t>> find_call_targets(Arch arch, std::span<const uint8_t> code,
                                                uint64_t addr) {
  X86Pass x;
  if (Status st = start(&x, arch, "calls", code, addr, true); !st) return st.error();
  std::vector<uint64_t> out;
  Status st = each_instruction(x, [&](const cs_insn& i) {
    const cs_x86& x86 = i.detail->x86;
    if (i.id == X86_INS_CALL && x86.op_count == 1 && x86.operands[0].type == X86_OP_IMM) {
      out.push_back(static_cast<uint64_t>(x86.operands[0].imm));
    }
  });
  if (!st) return st.error();
  return out;
}

Result<std::map<std::string, uint64_t>> count_mnemonics(Arch arch, std::span<const uint8_t> code,
                                                        uint64_t addr) {
  X86Pass x;
  if (Status st = start(&x, arch, "instructions", code, addr, false); !st) return st.error();
  std::map<std::string, uint64_t> out;
  Status st = each_instruction(x, [&](const cs_insn& i) { out[i.mnemonic]++; });
  if (!st) return st.error();
  return out;
}

namespace {

// The 64-bit register a name is part of: eax, ax and al are rax; r8d, r8w and r8b are r8.
std::string full_register(std::string name) {
  static const std::map<std::string, std::string> legacy = {
      {"eax", "rax"}, {"ax", "rax"}, {"al", "rax"}, {"ebx", "rbx"}, {"bx", "rbx"}, {"bl", "rbx"},
      {"ecx", "rcx"}, {"cx", "rcx"}, {"cl", "rcx"}, {"edx", "rdx"}, {"dx", "rdx"}, {"dl", "rdx"},
      {"esi", "rsi"}, {"si", "rsi"}, {"sil", "rsi"}, {"edi", "rdi"}, {"di", "rdi"}, {"dil", "rdi"},
      {"ebp", "rbp"}, {"bp", "rbp"}, {"bpl", "rbp"}, {"esp", "rsp"}, {"sp", "rsp"}, {"spl", "rsp"}};
  if (auto it = legacy.find(name); it != legacy.end()) return it->second;
  if (name.size() > 2 && name[0] == 'r' && std::isdigit(static_cast<unsigned char>(name[1]))) {
    while (!name.empty() && !std::isdigit(static_cast<unsigned char>(name.back()))) name.pop_back();
  }
  return name;
}

bool is_emulated(csh handle, const cs_insn& i) {
  const cs_x86& x86 = i.detail->x86;
  bool opsize_prefix = false;
  for (uint8_t p : x86.prefix) opsize_prefix = opsize_prefix || p == 0x66;
  bool rel = x86.op_count == 1 && x86.operands[0].type == X86_OP_IMM;
  if (i.id == X86_INS_NOP) return x86.opcode[0] == 0x90;  // 0x90 with prefixes, not 0F 1F
  if (i.id == X86_INS_PUSH) return x86.op_count == 1 && x86.operands[0].type == X86_OP_REG;
  if (i.id == X86_INS_CALL || cs_insn_group(handle, &i, CS_GRP_JUMP)) {
    return rel && !opsize_prefix;
  }
  return false;
}

}  // namespace

Result<std::vector<Instruction>> decode_function(Arch arch, std::span<const uint8_t> code,
                                                 uint64_t addr) {
  X86Pass x;
  if (Status st = start(&x, arch, "instructions", code, addr, true); !st) return st.error();
  std::vector<Instruction> out;
  Status st = each_instruction(x, [&](const cs_insn& i) {
    const cs_x86& x86 = i.detail->x86;
    Instruction in;
    in.addr = i.address;
    in.size = static_cast<uint8_t>(i.size);
    in.mnemonic = i.mnemonic;
    for (uint8_t k = 0; k < x86.op_count; k++) {
      const cs_x86_op& op = x86.operands[k];
      Operand o;
      if (op.type == X86_OP_REG) {
        o.kind = Operand::kReg;
        o.reg = full_register(cs_reg_name(x.cs.handle, op.reg));
      } else if (op.type == X86_OP_IMM) {
        o.kind = Operand::kImm;
        o.imm = op.imm;
      } else {
        o.kind = Operand::kMem;
        o.reg = op.mem.base == X86_REG_INVALID ? "" : full_register(cs_reg_name(x.cs.handle, op.mem.base));
        o.imm = op.mem.disp;
      }
      in.operands.push_back(std::move(o));
    }
    in.call = i.id == X86_INS_CALL;
    in.ret = i.id == X86_INS_RET;
    in.jump = !in.call && cs_insn_group(x.cs.handle, &i, CS_GRP_JUMP);
    in.conditional = in.jump && i.id != X86_INS_JMP;
    if ((in.jump || in.call) && x86.op_count == 1 && x86.operands[0].type == X86_OP_IMM) {
      in.target = static_cast<uint64_t>(x86.operands[0].imm);
    }
    in.emulated = is_emulated(x.cs.handle, i);
    out.push_back(std::move(in));
  });
  if (!st) return st.error();
  return out;
}

Result<std::vector<RipRef>> find_rip_refs(Arch arch, std::span<const uint8_t> code, uint64_t addr) {
  X86Pass x;
  if (Status st = start(&x, arch, "RIP-relative references", code, addr, true); !st) {
    return st.error();
  }
  std::vector<RipRef> out;
  bool decoded_any = false;
  while (x.next()) {
    decoded_any = true;
    const cs_x86& x86 = x.insn->detail->x86;
    for (uint8_t i = 0; i < x86.op_count; i++) {
      const cs_x86_op& op = x86.operands[i];
      if (op.type == X86_OP_MEM && op.mem.base == X86_REG_RIP) {
        out.push_back({x.insn->address, x.pc + static_cast<uint64_t>(op.mem.disp)});
      }
    }
  }
  if (!decoded_any && !code.empty()) return make_error("cannot decode the instruction at {:#x}", addr);
  return out;
}

Result<Prologue> find_prologue(Arch arch, std::span<const uint8_t> code, uint64_t addr) {
  X86Pass x;
  if (Status st = start(&x, arch, "stack-check prologues", code, addr, true); !st) return st.error();
  bool saw_compare = false;
  Result<Prologue> out = Prologue{};  // no check found: a nosplit function
  for (size_t n = 0; n < kMaxPrologueInsns && x.next(); n++) {
    if (saw_compare) {
      if (x.insn->id == X86_INS_JBE) {
        out = Prologue{x.pc - addr, true, x.insn->address - addr};
      } else {
        out = make_error("stack check at {:#x} is followed by {} {}, not JBE", x.pc - x.insn->size,
                         x.insn->mnemonic, x.insn->op_str);
      }
      break;
    }
    saw_compare = is_stack_check(*x.insn);
  }
  return out;
}

}  // namespace gri::goelf
