#include "exp/maps/code.h"

#include <fmt/format.h>

#include <set>

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

const char* site_kind_name(SiteKind k) {
  switch (k) {
    case SiteKind::kGroup: return "group";
    case SiteKind::kCandidate: return "candidate";
    case SiteKind::kSlot: return "slot";
  }
  return "?";
}

namespace {

using goelf::Instruction;
using goelf::Operand;

constexpr int64_t kMatchEmptyMask = static_cast<int64_t>(0x8080808080808080ULL);  // ctrlEmpty bits

bool is_reg(const Operand& o, const std::string& reg = "") {
  return o.kind == Operand::kReg && (reg.empty() || o.reg == reg);
}

// One function's code and its blocks' starts (the direct jump targets inside it).
struct Code {
  std::string function;
  std::vector<Instruction> insns;
  std::set<uint64_t> targets;

  // The instruction to probe for insns[i]'s executions: the first emulated one from i on in
  // the same block (no jump target after i, no other way out before it), else i itself.
  size_t probe_for(size_t i) const {
    for (size_t k = i; k < insns.size(); k++) {
      if (k > i && targets.count(insns[k].addr)) break;
      if (insns[k].emulated) return k;
      if (insns[k].jump || insns[k].ret) break;
    }
    return i;
  }
  // Start of the block holding insns[i]: back to a jump target or past a jump.
  size_t block_start(size_t i) const {
    while (i > 0 && !targets.count(insns[i].addr) && !insns[i - 1].jump && !insns[i - 1].ret) i--;
    return i;
  }
  size_t index_of(uint64_t addr) const {
    for (size_t k = 0; k < insns.size(); k++) {
      if (insns[k].addr == addr) return k;
    }
    return insns.size();
  }
};

void add_site(const Code& c, size_t anchor, SiteKind kind, bool compares_key,
              std::vector<LookupSite>* out) {
  size_t p = c.probe_for(anchor);
  for (const LookupSite& s : *out) {
    if (s.probe == c.insns[p].addr) return;  // one instruction counts one thing
  }
  out->push_back({c.function, kind, c.insns[anchor].addr, c.insns[p].addr, c.insns[p].emulated,
                  compares_key});
}

// Scalar scans of a bucket's (or a swiss small group's) 8 slots: `CMP R, $8; JAE/JGE out`,
// the body falling through; the scan begins where R is zeroed (XOR R, R) and the path goes on
// to the test without another branch than a JMP to it.
void scalar_scans(const Code& c, bool int_keys, std::vector<LookupSite>* out) {
  const auto& in = c.insns;
  for (size_t i = 0; i + 2 < in.size(); i++) {
    const Instruction& cmp = in[i];
    if (cmp.mnemonic != "cmp" || cmp.operands.size() != 2 || !is_reg(cmp.operands[0]) ||
        cmp.operands[1].kind != Operand::kImm || cmp.operands[1].imm != 8) {
      continue;
    }
    if (in[i + 1].mnemonic != "jae" && in[i + 1].mnemonic != "jge") continue;
    if (c.targets.count(in[i + 2].addr)) continue;  // the body is entered from elsewhere too
    const std::string& reg = cmp.operands[0].reg;
    add_site(c, i + 2, SiteKind::kSlot, int_keys, out);
    for (size_t k = 0; k < in.size(); k++) {
      const Instruction& x = in[k];
      if (x.mnemonic != "xor" || x.operands.size() != 2 || !is_reg(x.operands[0], reg) ||
          !is_reg(x.operands[1], reg)) {
        continue;
      }
      for (size_t n = k + 1; n < in.size(); n++) {
        if (in[n].addr == cmp.addr) {
          add_site(c, k, SiteKind::kGroup, false, out);
          break;
        }
        if (in[n].jump && !in[n].conditional && in[n].target == cmp.addr) {
          add_site(c, k, SiteKind::kGroup, false, out);
          break;
        }
        if (in[n].jump || in[n].ret || c.targets.count(in[n].addr) ||
            (in[n].operands.size() > 0 && is_reg(in[n].operands[0], reg) && in[n].mnemonic != "nop")) {
          break;  // another way, or R written again
        }
      }
    }
  }
}

// Swiss maps: group matches (PMOVMSKB not against ctrlEmpty's 0x80 bytes: matchH2, or
// matchFull on the small fast path), SIMD candidates (BSF), and the small fast path's shift
// loop (`SHR R, 1` then `TEST R, R; JE out`: one slot a turn).
void swiss_sites(const Code& c, bool int_keys, std::vector<LookupSite>* out) {
  const auto& in = c.insns;
  for (size_t i = 0; i < in.size(); i++) {
    const Instruction& x = in[i];
    if (x.mnemonic == "pmovmskb") {
      bool match_empty = false;
      for (size_t k = c.block_start(i); k < i; k++) {
        match_empty = match_empty || (in[k].mnemonic == "movabs" && in[k].operands.size() == 2 &&
                                      in[k].operands[1].kind == Operand::kImm &&
                                      in[k].operands[1].imm == kMatchEmptyMask);
      }
      if (!match_empty) add_site(c, i, SiteKind::kGroup, false, out);
    } else if (x.mnemonic == "bsf" || x.mnemonic == "tzcnt") {
      add_site(c, i, SiteKind::kCandidate, true, out);
    } else if (x.mnemonic == "shr" && i + 2 < in.size() && is_reg(x.operands[0]) &&
               (x.operands.size() == 1 ||
                (x.operands[1].kind == Operand::kImm && x.operands[1].imm == 1))) {
      const std::string& reg = x.operands[0].reg;
      size_t t = i + 1;
      while (t < in.size() && in[t].mnemonic == "nop") t++;
      if (t + 2 >= in.size() || in[t].mnemonic != "test" || in[t].operands.size() != 2 ||
          !is_reg(in[t].operands[0], reg) || !is_reg(in[t].operands[1], reg) ||
          in[t + 1].mnemonic != "je" || c.targets.count(in[t + 2].addr)) {
        continue;
      }
      add_site(c, t + 2, SiteKind::kSlot, int_keys, out);
    }
  }
  scalar_scans(c, int_keys, out);
}

}  // namespace

Result<LookupSites> lookup_sites(const goelf::GoBinary& bin) {
  auto functions = map_functions(bin);
  if (!functions) return functions.error();
  bool swiss = bin.find_function("internal/runtime/maps.(*table).grow").has_value();
  const goelf::ElfFile& elf = bin.elf();
  LookupSites out;
  std::set<std::string> helpers_done;
  auto analyse = [&](const std::string& name, uint64_t addr, uint64_t size, bool int_keys,
                     std::vector<uint64_t>* calls) -> Result<size_t> {
    auto bytes = elf.read(addr, size);
    if (!bytes) return bytes.error();
    auto insns = goelf::decode_function(elf.arch(), *bytes, addr);
    if (!insns) return make_error("{}: {}", name, insns.error().message);
    Code c{name, std::move(*insns), {}};
    for (const Instruction& x : c.insns) {
      if (x.jump && x.target) c.targets.insert(*x.target);
      if (calls && x.call && x.target) calls->push_back(*x.target);
    }
    size_t before = out.sites.size();
    if (swiss) {
      swiss_sites(c, int_keys, &out.sites);
    } else {
      scalar_scans(c, int_keys, &out.sites);
    }
    out.functions.push_back(name);
    return out.sites.size() - before;
  };
  for (const FoundMapFunction& f : *functions) {
    if (f.op != MapOp::kLookup || !f.wraps.empty()) continue;
    bool int_keys = f.name.find("_fast32") != std::string_view::npos ||
                    f.name.find("_fast64") != std::string_view::npos;
    std::vector<uint64_t> calls;
    auto n = analyse(std::string(f.name), f.addr, f.size, int_keys, &calls);
    if (!n) return n.error();
    size_t helper_sites = 0;
    for (uint64_t target : calls) {
      const goelf::PclnFunction* h = bin.pclntab().at(target);
      if (!h || h->entry != target || !h->name.starts_with("internal/runtime/maps.") ||
          h->name.find(".get") == std::string::npos) {
        continue;
      }
      if (!helpers_done.insert(h->name).second) {
        helper_sites++;
        continue;
      }
      auto m = analyse(h->name, h->entry, h->end - h->entry, int_keys, nullptr);
      if (!m) return m.error();
      helper_sites += *m + 1;
    }
    if (*n == 0 && helper_sites == 0) out.without_sites.push_back(std::string(f.name));
  }
  return out;
}

}  // namespace gri::exp::maps
