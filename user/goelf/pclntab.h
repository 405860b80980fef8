// Function names and bounds, and the source lines and inlined calls at a pc, from
// .gopclntab, which every Go binary keeps, stripped or not (a panic prints them).
//
// Header magics: 0xfffffffa (Go 1.16-1.17), 0xfffffff0 (1.18-1.19), 0xfffffff1 (1.20+).
// Source: Go src/debug/gosym/pclntab.go and src/runtime/symtab.go. Function entries are
// offsets from the text start; from Go 1.26 the header's text start field is 0 and the
// real one comes from runtime.text or the module data (firstmoduledata, in .go.module on
// Go 1.26+, in .noptrdata before).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/result.h"
#include "goelf/elf_file.h"

namespace gri::goelf {

struct PclnFunction {
  std::string name;  // "runtime.gcStart"
  uint64_t entry = 0;  // virtual address of its first instruction
  uint64_t end = 0;    // the next function's entry (or the end of text): [entry, end)
  uint64_t record = 0;  // offset of its _func record in the table
};

// One logical frame at a pc: a function inlined there, or the physical function.
struct SourceFrame {
  std::string func;  // "main.allocSmall", as the pclntab names it
  std::string file;  // as the compiler recorded it (absolute unless built with -trimpath)
  int line = 0;      // 0 with file "" when the table has no line for the pc
  bool inlined = false;
};

// The go:func.* data that funcdata offsets count from (moduledata.gofunc; go1.18+), for the
// inline trees. Empty: no inline expansion.
struct GoFuncData {
  uint64_t addr = 0;
  std::span<const uint8_t> bytes;  // from addr to the end of its section
};

struct PclnTables;  // the table's bytes and where its parts are (pclntab.cpp)

struct Pclntab {
  uint32_t magic = 0;
  std::string format;             // "go1.16", "go1.18", "go1.20"
  uint64_t text_start = 0;        // what entry offsets count from
  std::string text_start_source;  // "header", "runtime.text", "moduledata", ".text section"
  std::vector<PclnFunction> functions;  // sorted by entry

  // By exact name, or nullptr.
  const PclnFunction* find(std::string_view name) const;
  // The function whose [entry, end) holds a link-time address, or nullptr.
  const PclnFunction* at(uint64_t addr) const;

  // The logical frames at a link-time address, innermost first, as the runtime's traceback
  // names them (src/runtime/symtabinl.go, go1.26, inlineUnwinder): each function inlined at
  // addr with its own name and the line of addr, then its callers out to the physical
  // function, each at the line of the inlined call. Empty when no function holds addr.
  // A return address must be looked up as addr-1 (the CALL), like runtime.Callers' users.
  std::vector<SourceFrame> frames(uint64_t addr) const;
  // Whether frames() expands inlined calls (go1.18+ with the go:func.* data found).
  bool has_inline_trees() const;
  // Where frames() found the go:func.* data: "symtab", "moduledata", or "" (none).
  std::string gofunc_source;

  std::shared_ptr<const PclnTables> tables;
};

// The parser over .gopclntab's bytes. `text_start` is used when the header has none
// (Go 1.26+); without it such a table is an error. `gofunc` gives frames() the inline trees.
// Never reads outside `data` or `gofunc`; keeps a copy of both.
Result<Pclntab> parse_pclntab(std::span<const uint8_t> data, std::optional<uint64_t> text_start,
                              GoFuncData gofunc = {});

// .gopclntab of `elf`, with the text start from the header, runtime.text, or the module
// data, in that order, and the go:func.* data from .symtab or the module data; an error that
// says why for a binary that is not Go.
Result<Pclntab> read_pclntab(const ElfFile& elf);

}  // namespace gri::goelf
