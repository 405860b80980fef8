#include "probe/process_image.h"
#include "common/text_file.h"

#include <elf.h>
#include <signal.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace gri::probe {

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

Result<ProcessImage> open_process_image(pid_t pid) {
  if (pid <= 0) return make_usage_error("bad PID {}: a process ID is a positive number", pid);
  std::string proc = fmt::format("/proc/{}", pid);
  if (kill(pid, 0) != 0 && errno == ESRCH) return make_error("no process with PID {}", pid);
  std::error_code ec;
  std::string exe = std::filesystem::read_symlink(proc + "/exe", ec).string();
  if (ec == std::errc::permission_denied) {
    return make_error("cannot read {}/exe: {}: run as root or with CAP_SYS_PTRACE, or as the "
                      "process's user",
                      proc, ec.message());
  }
  if (ec) {
    return make_error("cannot read {}/exe: {} (has it exited, or is it a kernel thread?)", proc,
                      ec.message());
  }
  auto bin = goelf::GoBinary::open(proc + "/exe");
  if (!bin) return make_error("PID {} ({}): {}", pid, exe, bin.error().message);
  auto bias = read_load_bias(pid, *bin, exe);
  if (!bias) return bias.error();
  return ProcessImage{pid, exe, std::move(*bin), *bias};
}

Result<uint64_t> read_load_bias(pid_t pid, const goelf::GoBinary& bin, const std::string& exe) {
  std::string proc = fmt::format("/proc/{}", pid);
  struct stat st {};
  if (stat((proc + "/exe").c_str(), &st) != 0) {
    return make_error("PID {} ({}): cannot stat its binary: {}", pid, exe, strerror(errno));
  }
  auto maps = read_text_file(proc + "/maps");
  if (!maps) return make_error("PID {} ({}): cannot read {}/maps", pid, exe, proc);
  // Every segment is linked relative to one base: the executable one gives the bias.
  for (const goelf::Segment& s : bin.elf().load_segments()) {
    if (!(s.flags & PF_X)) continue;
    auto bias = load_bias_from_maps(*maps, s.vaddr, s.offset, st.st_ino);
    if (!bias) return make_error("PID {} ({}): {}", pid, exe, bias.error().message);
    return *bias;
  }
  return make_error("PID {} ({}): the binary has no executable segment", pid, exe);
}

}  // namespace gri::probe
