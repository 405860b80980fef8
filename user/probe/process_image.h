// A live process's Go binary: opened through /proc/PID/exe (the very file it runs, also
// inside another mount namespace), with the load bias of a PIE from /proc/PID/maps.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "common/result.h"
#include "goelf/go_binary.h"

namespace gri::probe {

struct ProcessImage {
  pid_t pid = 0;
  std::string exe;  // readlink of /proc/PID/exe, as the process's own namespace names it
  goelf::GoBinary bin;
  uint64_t load_bias = 0;  // run-time address minus link-time address (0 unless PIE)
};

// One-line errors for a PID that does not exist, a binary gri may not read (says what is
// needed), and a process that is not Go.
Result<ProcessImage> open_process_image(pid_t pid);

// The load bias of PID's executable, `bin` being the file it runs: /proc/PID/maps read, no
// binary parsed (a launched command's binary was opened before it started).
Result<uint64_t> read_load_bias(pid_t pid, const goelf::GoBinary& bin, const std::string& exe);

// The load bias of an executable segment in the maps text of a process: where the mapping of
// file `inode` that holds `segment_offset` puts it, minus where the segment was linked.
// Matched by inode, not path: a replaced binary shows as "path (deleted)".
Result<uint64_t> load_bias_from_maps(const std::string& maps, uint64_t segment_vaddr,
                                     uint64_t segment_offset, uint64_t inode);

}  // namespace gri::probe
