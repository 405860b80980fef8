#include "exp/maps/code.h"

#include <fmt/format.h>

#include "goelf/disasm.h"

namespace gri::exp::maps {

const char* op_name(MapOp op) {
  switch (op) {
    case MapOp::kLookup: return "lookups";
    case MapOp::kInsert: return "inserts";
    case MapOp::kDelete: return "deletes";
  }
  return "?";
}

Result<std::vector<FoundMapFunction>> map_functions(const goelf::GoBinary& bin) {
  std::vector<FoundMapFunction> out;
  for (const MapFunction& f : kMapFunctions) {
    auto fn = bin.find_function(f.name);
    if (!fn || fn->size == 0) continue;
    out.push_back({f.name, f.op, fn->addr, fn->size, ""});
  }
  const goelf::ElfFile& elf = bin.elf();
  for (FoundMapFunction& f : out) {
    auto code = elf.read(f.addr, f.size);
    if (!code) return code.error();
    auto calls = goelf::find_call_targets(elf.arch(), *code, f.addr);
    if (!calls) return make_error("{}: {}", f.name, calls.error().message);
    for (uint64_t target : *calls) {
      for (const FoundMapFunction& g : out) {
        if (g.addr == target && g.name != f.name) f.wraps = g.name;
      }
    }
  }
  return out;
}

Result<std::vector<LookupCode>> lookup_code(const goelf::GoBinary& bin) {
  auto functions = map_functions(bin);
  if (!functions) return functions.error();
  std::vector<LookupCode> out;
  const goelf::ElfFile& elf = bin.elf();
  for (const FoundMapFunction& f : *functions) {
    if (f.op != MapOp::kLookup || !f.wraps.empty()) continue;
    auto code = elf.read(f.addr, f.size);
    if (!code) return code.error();
    auto counts = goelf::count_mnemonics(elf.arch(), *code, f.addr);
    if (!counts) return make_error("{}: {}", f.name, counts.error().message);
    LookupCode c;
    c.function = f.name;
    for (const auto& [mnemonic, n] : *counts) {
      c.instructions += n;
      if (mnemonic == "pcmpeqb") c.pcmpeqb = n;
      if (mnemonic == "pmovmskb") c.pmovmskb = n;
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace gri::exp::maps
