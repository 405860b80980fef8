// Function names and bounds from .gopclntab, which every Go binary keeps, stripped or not.
//
// Header magics: 0xfffffffa (Go 1.16-1.17), 0xfffffff0 (1.18-1.19), 0xfffffff1 (1.20+).
// Source: Go src/debug/gosym/pclntab.go and src/runtime/symtab.go. Function entries are
// offsets from the text start; from Go 1.26 the header's text start field is 0 and the
// real one comes from runtime.text or the module data (firstmoduledata, in .go.module on
// Go 1.26+, in .noptrdata before).
#pragma once

#include <cstdint>
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
};

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
};

// The parser over .gopclntab's bytes. `text_start` is used when the header has none
// (Go 1.26+); without it such a table is an error. Never reads outside `data`.
Result<Pclntab> parse_pclntab(std::span<const uint8_t> data, std::optional<uint64_t> text_start);

// .gopclntab of `elf`, with the text start from the header, runtime.text, or the module
// data, in that order; an error that says why for a binary that is not Go.
Result<Pclntab> read_pclntab(const ElfFile& elf);

}  // namespace gri::goelf
