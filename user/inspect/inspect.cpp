#include "inspect/inspect.h"

#include <elf.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "exp/probe_points.h"
#include "goelf/go_binary.h"
#include "probe/go_uprobe.h"

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
      info.stack_check = point->stack_check;
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
  out.layout = goelf::resolve_layout(bin.elf(), bin.build().go_version);
  return out;
}

}  // namespace

Result<Inspection> inspect_binary(const std::string& path) {
  auto bin = goelf::GoBinary::open(path);
  if (!bin) return bin.error();
  return describe(*bin);
}

Result<uint64_t> load_bias_from_maps(const std::string& maps, uint64_t segment_vaddr,
                                     uint64_t segment_offset, uint64_t inode) {
  std::istringstream in(maps);
  for (std::string line; std::getline(in, line);) {
    // start-end perms offset dev inode [path]
    uint64_t start = 0, end = 0, offset = 0, ino = 0;
    char perms[8] = {};
    if (std::sscanf(line.c_str(), "%lx-%lx %7s %lx %*s %lu", &start, &end, perms, &offset, &ino) !=
        5) {
      continue;
    }
    if (ino != inode || perms[2] != 'x') continue;
    if (segment_offset < offset || segment_offset >= offset + (end - start)) continue;
    return start + (segment_offset - offset) - segment_vaddr;
  }
  return make_error("no executable mapping of inode {} in the process's maps", inode);
}

Result<Inspection> inspect_process(pid_t pid) {
  if (pid <= 0) return make_usage_error("bad PID {}", pid);
  std::string proc = fmt::format("/proc/{}", pid);
  if (kill(pid, 0) != 0 && errno == ESRCH) return make_error("no process with PID {}", pid);
  std::error_code ec;
  std::string exe = std::filesystem::read_symlink(proc + "/exe", ec).string();
  if (ec) {
    return make_error("cannot read {}/exe: {} (has it exited, or is it a kernel thread?)", proc,
                      ec.message());
  }
  // /proc/PID/exe opens the very file the process runs, even inside another mount namespace.
  auto bin = goelf::GoBinary::open(proc + "/exe");
  if (!bin) return make_error("PID {} ({}): {}", pid, exe, bin.error().message);
  Inspection out = describe(*bin);
  out.pid = pid;
  out.exe = exe;

  std::ifstream maps_file(proc + "/maps");
  std::stringstream maps;
  maps << maps_file.rdbuf();
  struct stat st {};
  if (stat((proc + "/exe").c_str(), &st) != 0) {
    return make_error("PID {}: cannot stat its binary: {}", pid, strerror(errno));
  }
  for (const goelf::Segment& s : bin->elf().load_segments()) {
    if (!(s.flags & PF_X)) continue;
    auto bias = load_bias_from_maps(maps.str(), s.vaddr, s.offset, st.st_ino);
    if (!bias) return make_error("PID {}: {}", pid, bias.error().message);
    out.load_bias = *bias;
    break;
  }
  return out;
}

}  // namespace gri::inspect
