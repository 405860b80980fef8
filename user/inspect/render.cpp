#include "inspect/render.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace gri::inspect {

namespace {

std::string hex(uint64_t v) { return fmt::format("{:#x}", v); }

// The text fits 100 columns: a few RET sites, then how many more (--json lists them all).
constexpr size_t kRetsShown = 4;

std::string rets_text(const std::vector<uint64_t>& rets) {
  if (rets.empty()) return "no RET";
  std::vector<std::string> parts;
  for (size_t i = 0; i < rets.size() && i < kRetsShown; i++) {
    parts.push_back(fmt::format("+{:#x}", rets[i]));
  }
  if (rets.size() > kRetsShown) parts.push_back(fmt::format("(+{} more)", rets.size() - kRetsShown));
  return fmt::format("RET {}", fmt::join(parts, " "));
}

}  // namespace

std::string render_text(const Inspection& in) {
  std::string out;
  out += fmt::format("{}", in.exe);
  if (in.pid) out += fmt::format(" (PID {}, load bias {})", *in.pid, hex(in.load_bias.value_or(0)));
  out += "\n";
  out += fmt::format("  {} {}, {}, {}, {}\n", in.build.go_version, in.arch,
                     in.pie ? "PIE" : "not PIE", in.stripped ? "stripped" : "not stripped",
                     in.build.module_path.empty() ? "no module info" : in.build.module_path);
  out += fmt::format("  {} functions in pclntab ({} format, text start from {}); {} in .symtab\n",
                     in.functions, in.pclntab_format, in.text_start_source, in.symtab_functions);
  for (const char* key : {"GOEXPERIMENT", "DefaultGODEBUG", "-buildmode"}) {
    std::string v = in.build.setting(key);
    if (!v.empty()) out += fmt::format("  {}={}\n", key, v);
  }

  out += "\nprobe points (entry after the stack check, * probed at the check's JBE instead;"
         " RET sites as offsets):\n";
  for (const ProbePointInfo& p : in.probes) {
    if (p.present && p.reason.empty()) {
      out += fmt::format("  {} {:<36} {:>9} +{:<3}{} {}\n", p.experiment, p.symbol, hex(p.address),
                         p.entry_offset, p.probe_offset != p.entry_offset ? "*" : " ",
                         rets_text(p.ret_offsets));
    } else {
      out += fmt::format("  {} {:<36} {}\n", p.experiment, p.symbol,
                         p.present ? "present, but " + p.reason : "missing: " + p.reason);
    }
  }

  out += "\nruntime struct offsets:\n";
  for (const goelf::ResolvedField& f : in.layout.fields) {
    if (f.offset) {
      out += fmt::format("  {:<34} {:>6}  {} {}\n", f.key, *f.offset, f.member, f.source);
    } else {
      out += fmt::format("  {:<34} {:>6}  {}\n", f.key, "-", f.reason);
    }
  }
  out += "\nruntime globals:\n";
  for (const goelf::ResolvedGlobal& g : in.layout.globals) {
    std::string name = g.symbol.empty() || g.symbol == g.name ? g.name : g.symbol;
    out += fmt::format("  {:<34} {:>10}  {}\n", name, g.address ? hex(*g.address) : "-",
                       g.address ? g.source : g.reason);
  }
  return out;
}

nlohmann::ordered_json to_json(const Inspection& in) {
  using json = nlohmann::ordered_json;
  json j;
  j["schema"] = "gri.inspect/1";
  j["path"] = in.path;
  j["exe"] = in.exe;
  j["pid"] = in.pid ? json(*in.pid) : json(nullptr);
  j["load_bias"] = in.load_bias ? json(hex(*in.load_bias)) : json(nullptr);
  j["go_version"] = in.build.go_version;
  j["buildinfo_format"] = in.build.format;
  j["module_path"] = in.build.module_path;
  j["main_path"] = in.build.path;
  json settings = json::object();
  for (const auto& [k, v] : in.build.settings) settings[k] = v;
  j["build_settings"] = settings;
  j["arch"] = in.arch;
  j["pie"] = in.pie;
  j["stripped"] = in.stripped;
  j["symbol_source"] = in.symbol_source;
  j["functions"] = in.functions;
  j["symtab_functions"] = in.symtab_functions;
  j["pclntab_format"] = in.pclntab_format;
  j["text_start_source"] = in.text_start_source;

  json probes = json::array();
  for (const ProbePointInfo& p : in.probes) {
    json r;
    r["experiment"] = p.experiment;
    r["symbol"] = p.symbol;
    r["present"] = p.present;
    r["address"] = p.present ? json(hex(p.address)) : json(nullptr);
    bool sites = p.present && p.reason.empty();
    r["file_offset"] = sites ? json(hex(p.file_offset)) : json(nullptr);
    r["entry_offset"] = sites ? json(p.entry_offset) : json(nullptr);
    r["probe_offset"] = sites ? json(p.probe_offset) : json(nullptr);
    r["probe_emulated"] = sites ? json(p.probe_emulated) : json(nullptr);
    r["stack_check"] = sites ? json(p.stack_check) : json(nullptr);
    r["ret_offsets"] = sites ? json(p.ret_offsets) : json(nullptr);
    r["reason"] = p.reason;
    probes.push_back(std::move(r));
  }
  j["probes"] = std::move(probes);

  json offsets = json::array();
  for (const goelf::ResolvedField& f : in.layout.fields) {
    offsets.push_back({{"struct", f.type},
                       {"field", f.member},
                       {"key", f.key},
                       {"offset", f.offset ? json(*f.offset) : json(nullptr)},
                       {"source", f.source},
                       {"reason", f.reason}});
  }
  j["offsets"] = std::move(offsets);

  json globals = json::array();
  for (const goelf::ResolvedGlobal& g : in.layout.globals) {
    globals.push_back({{"name", g.name},
                       {"symbol", g.symbol},
                       {"address", g.address ? json(hex(*g.address)) : json(nullptr)},
                       {"source", g.source},
                       {"reason", g.reason}});
  }
  j["globals"] = std::move(globals);
  if (!in.code_refs.empty()) {
    json refs = json::object();
    for (const auto& [name, g] : in.code_refs) {
      json list = json::array();
      for (const goelf::LearnedRef& r : g.refs) {
        list.push_back({{"function", r.function},
                        {"ordinal", r.ordinal},
                        {"addend", r.addend},
                        {"section", r.section},
                        {"function_refs", r.function_refs}});
      }
      refs[name] = {{"size", g.size}, {"refs", std::move(list)}};
    }
    j["code_refs"] = std::move(refs);
  }
  return j;
}

}  // namespace gri::inspect
