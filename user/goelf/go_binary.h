// A Go executable, opened once: its ELF, the Go version that built it, and its functions
// (from .gopclntab, which stripped binaries keep; .symtab agrees where it is present).
// Everything that probes a Go binary goes through this.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "goelf/buildinfo.h"
#include "goelf/elf_file.h"
#include "goelf/pclntab.h"

namespace gri::goelf {

struct Function {
  std::string name;
  uint64_t addr = 0;  // link-time virtual address of the entry
  uint64_t size = 0;  // up to the next function (pclntab) or .symtab's st_size
};

class GoBinary {
 public:
  // Fails with one line for what is not a readable 64-bit Go ELF executable.
  static Result<GoBinary> open(const std::string& path);

  const ElfFile& elf() const { return elf_; }
  const BuildInfo& build() const { return build_; }
  const Pclntab& pclntab() const { return pclntab_; }
  const std::string& path() const { return elf_.path(); }
  bool stripped() const { return !elf_.has_symtab(); }
  // "symtab+pclntab" or "pclntab" (stripped).
  std::string_view symbol_source() const { return stripped() ? "pclntab" : "symtab+pclntab"; }

  std::optional<Function> find_function(std::string_view name) const;

 private:
  GoBinary(ElfFile elf, BuildInfo build, Pclntab pclntab)
      : elf_(std::move(elf)), build_(std::move(build)), pclntab_(std::move(pclntab)) {}
  ElfFile elf_;
  BuildInfo build_;
  Pclntab pclntab_;
};

}  // namespace gri::goelf
