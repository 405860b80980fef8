// Where runtime.memstats.heapStats is in a binary without .symtab or DWARF: the runtime's own
// code names it. runtime.(*mcache).refill publishes its span's count through
// `memstats.heapStats.acquire()` (src/runtime/mcache.go, go1.19-1.27), compiled on amd64 to
// LEAQ runtime.memstats+off(SB), AX; CALL runtime.(*consistentHeapStats).acquire(SB). The
// LEA's RIP-relative target is the receiver: &memstats.heapStats.
#include "exp/alloc/heap_stats.h"

#include <capstone/capstone.h>

namespace gri::exp::alloc {

Result<uint64_t> find_heap_stats_address(const goelf::GoBinary& bin) {
  constexpr const char* kCaller = "runtime.(*mcache).refill";
  constexpr const char* kAcquire = "runtime.(*consistentHeapStats).acquire";
  if (bin.elf().arch() != goelf::Arch::kX86_64) {
    return make_error("finding runtime.memstats by its code is done on x86-64 only");
  }
  const goelf::PclnFunction* caller = bin.pclntab().find(kCaller);
  const goelf::PclnFunction* acquire = bin.pclntab().find(kAcquire);
  if (!caller || !acquire) return make_error("{} or {} is not in the pclntab", kCaller, kAcquire);
  auto code = bin.elf().read(caller->entry, caller->end - caller->entry);
  if (!code) return code.error();
  csh handle = 0;
  if (cs_open(CS_ARCH_X86, CS_MODE_64, &handle) != CS_ERR_OK) {
    return make_error("capstone: cannot open an x86-64 disassembler");
  }
  cs_option(handle, CS_OPT_DETAIL, CS_OPT_ON);
  cs_insn* insn = cs_malloc(handle);
  const uint8_t* p = code->data();
  size_t left = code->size();
  uint64_t pc = caller->entry;
  std::optional<uint64_t> rax, found;
  while (!found && cs_disasm_iter(handle, &p, &left, &pc, insn)) {
    const cs_x86& x = insn->detail->x86;
    if (insn->id == X86_INS_LEA && x.op_count == 2 && x.operands[0].type == X86_OP_REG &&
        x.operands[0].reg == X86_REG_RAX && x.operands[1].type == X86_OP_MEM &&
        x.operands[1].mem.base == X86_REG_RIP) {
      rax = pc + static_cast<uint64_t>(x.operands[1].mem.disp);  // pc: the next instruction
    } else if (insn->id == X86_INS_CALL && x.op_count == 1 && x.operands[0].type == X86_OP_IMM) {
      if (static_cast<uint64_t>(x.operands[0].imm) == acquire->entry && rax) found = rax;
      rax.reset();
    } else if (x.op_count > 0 && x.operands[0].type == X86_OP_REG &&
               x.operands[0].reg == X86_REG_RAX) {
      rax.reset();  // RAX written by something else
    }
  }
  cs_free(insn, 1);
  cs_close(&handle);
  if (!found) return make_error("no LEAQ ..., AX; CALL {} in {}", kAcquire, kCaller);
  return *found;
}

}  // namespace gri::exp::alloc
