// Runtime globals in binaries without .symtab or DWARF (stripped: `-ldflags=-s -w`), found
// from the code that uses them. Go's amd64 code reaches every package-level variable through
// a RIP-relative operand (MOVQ runtime.sched+88(SB), AX); pclntab, which stripped binaries
// keep, says where each runtime function is. tools/gen-offsets learns from the plain builds
// of every Go release which reference in which function names which global (the function,
// the reference's ordinal among the function's references into Go's data sections, and the
// offset into the global it reads) and keeps the references that every plain build of that
// release agrees on (plain, PIE, cgo, GOAMD64=v1 and v3): globals_table.inc. The finder
// follows them on a binary of the same release, checks what it finds (the section the
// global lies in, that it fits there, that every learned reference names the same address)
// and otherwise reports the global missing with the reason, never a guess.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "goelf/go_binary.h"

namespace gri::goelf {

// One learned reference: a row of globals_table.inc. A row with an empty function says the
// release has no such global.
struct CodeRef {
  std::string_view minor;     // "1.26"
  std::string_view global;    // the symbol's name in that release
  std::string_view function;  // "runtime.gcStart"
  uint32_t ordinal = 0;       // among the function's references into Go's data sections
  int64_t addend = 0;         // referenced address - the global's address
  std::string_view section;   // the section the global lies in: ".bss"
  uint64_t size = 0;          // the global's size (its .symtab st_size)
};

std::span<const CodeRef> learned_code_refs();

struct FoundGlobal {
  std::string symbol;    // which of the names the release has
  uint64_t address = 0;  // link-time
  uint64_t size = 0;
  std::string how;       // "code: runtime.gcStart+0x2f (3 of 3 references agree)"
};

// names: the global's names across releases, tried in order; minor: "1.26".
Result<FoundGlobal> find_global_in_code(const GoBinary& bin, std::span<const std::string_view> names,
                                        std::string_view minor);

// A reference into one of Go's data sections (.noptrdata, .data, .bss, .noptrbss,
// .go.module), the only ones the ordinal counts: type descriptors and read-only data move
// between .rodata and .data.rel.ro with PIE, package variables do not.
struct DataRef {
  uint64_t insn = 0;
  uint64_t target = 0;
  const Section* section = nullptr;
};
Result<std::vector<DataRef>> data_refs(const GoBinary& bin, const PclnFunction& fn);

// For tools/gen-offsets: every reference to each of `globals` (found in .symtab) from the
// runtime's functions, best candidates first (one per function, from functions with few
// data references and early in them), at most `max` per global.
struct LearnedRef {
  std::string function;
  uint32_t ordinal = 0;
  int64_t addend = 0;
  std::string section;
  uint32_t function_refs = 0;  // the function's data references, all globals together
};
std::map<std::string, std::vector<LearnedRef>> learn_code_refs(const GoBinary& bin,
                                                               std::span<const Symbol> globals,
                                                               size_t max);

}  // namespace gri::goelf
