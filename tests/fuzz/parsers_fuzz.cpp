// libFuzzer target over the binary parsers: ELF (libelf), .go.buildinfo, .gopclntab (its
// functions, and the pc-value tables and inline trees behind Pclntab::frames), and the
// disassembly of the functions found. Seeds: the go-probes of every toolchain. Any
// input must give a value or an error, never a crash, a leak or an unbounded allocation.
//
// An input that starts with 'P' (no ELF file does) is instead a profile for the pprof
// renderer (pprof_fuzz.cpp): one target, so the fuzz budget of tools/test stays one.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "goelf/buildinfo.h"
#include "goelf/disasm.h"
#include "goelf/elf_file.h"
#include "goelf/pclntab.h"

int fuzz_pprof(const uint8_t* data, size_t size);  // pprof_fuzz.cpp

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gri::goelf;
  if (size > 0 && data[0] == 'P') return fuzz_pprof(data + 1, size - 1);
  auto elf = ElfFile::from_memory(std::vector<uint8_t>(data, data + size), "fuzz");
  if (!elf) return 0;
  auto build = read_buildinfo(*elf);
  if (build) (void)go_minor_version(build->go_version);
  auto pcln = read_pclntab(*elf);
  if (!pcln) return 0;
  // A few functions' bodies through the disassembler, as gri inspect does.
  size_t n = 0;
  for (const PclnFunction& f : pcln->functions) {
    if (n++ == 16) break;
    // Lines and inlined calls at its entry, its middle and its last byte.
    for (uint64_t pc : {f.entry, f.entry + (f.end - f.entry) / 2, f.end - 1}) {
      (void)pcln->frames(pc);
    }
    if (f.end <= f.entry || f.end - f.entry > (1u << 20)) continue;
    auto code = elf->read(f.entry, f.end - f.entry);
    if (!code) continue;
    (void)find_prologue(elf->arch(), *code, f.entry);
    (void)find_returns(elf->arch(), *code, f.entry);
  }
  return 0;
}
