#include "inspect/inspect.h"



#include "exp/probe_points.h"
#include "goelf/go_binary.h"
#include "probe/go_uprobe.h"
#include "probe/process_image.h"

namespace gri::inspect {

namespace {

Inspection describe(const goelf::GoBinary& bin) {
  Inspection out;
  out.path = bin.path();
  out.exe = bin.path();
  out.build = bin.build();
  out.arch = std::string(goelf::arch_name(bin.elf().arch()));
  out.pie = bin.elf().is_pie();
  out.stripped = bin.stripped();
  out.symbol_source = std::string(bin.symbol_source());
  out.functions = bin.pclntab().functions.size();
  out.symtab_functions = bin.elf().function_count();
  out.pclntab_format = bin.pclntab().format;
  out.text_start_source = bin.pclntab().text_start_source;

  auto minor = goelf::go_minor_version(bin.build().go_version);
  for (const exp::ProbePointSpec& spec : exp::probe_points()) {
    ProbePointInfo info;
    info.experiment = spec.experiment;
    info.symbol = spec.symbol;
    auto point = probe::resolve_probe_point(bin, spec.symbol);
    if (point) {
      info.present = true;
      info.address = point->addr;
      info.file_offset = point->file_offset;
      info.entry_offset = point->entry_offset;
      info.probe_offset = point->probe_offset;
      info.stack_check = point->stack_check;
      info.probe_emulated = point->entry_emulated;
      info.ret_offsets = point->ret_offsets;
    } else if (auto fn = bin.find_function(spec.symbol)) {
      // The function is there but its code could not be decoded: say why.
      info.present = true;
      info.address = fn->addr;
      info.reason = point.error().message;
    } else {
      info.reason = minor ? exp::missing_reason(spec, minor->second)
                          : "not in this binary's function table";
    }
    out.probes.push_back(std::move(info));
  }
  out.layout = goelf::resolve_layout(bin);
  return out;
}

}  // namespace

Result<Inspection> inspect_binary(const std::string& path, bool code_refs) {
  auto bin = goelf::GoBinary::open(path);
  if (!bin) return bin.error();
  Inspection out = describe(*bin);
  if (code_refs) {
    std::vector<goelf::Symbol> symbols;
    for (const goelf::GlobalSpec& spec : goelf::global_catalog()) {
      for (std::string_view name : spec.names) {
        if (const goelf::Symbol* sym = bin->elf().find_object(name)) symbols.push_back(*sym);
      }
    }
    // The generator keeps the candidates every build of the release shares.
    for (auto& [name, refs] : goelf::learn_code_refs(*bin, symbols, 32)) {
      out.code_refs[name].refs = std::move(refs);
    }
    for (const goelf::Symbol& sym : symbols) out.code_refs[sym.name].size = sym.size;
  }
  return out;
}

Result<Inspection> inspect_process(pid_t pid) {
  auto image = probe::open_process_image(pid);
  if (!image) return image.error();
  Inspection out = describe(image->bin);
  out.pid = pid;
  out.exe = image->exe;
  out.load_bias = image->load_bias;
  return out;
}

}  // namespace gri::inspect
