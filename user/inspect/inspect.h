// gri inspect: what a Go binary (or a live process's binary) offers to probes. The model
// here is filled by inspect_binary / inspect_process; inspect/render.h prints it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "goelf/buildinfo.h"
#include "goelf/globals.h"
#include "goelf/runtime_layout.h"

namespace gri::inspect {

struct ProbePointInfo {
  std::string experiment;
  std::string symbol;
  bool present = false;
  uint64_t address = 0;      // link-time virtual address
  uint64_t file_offset = 0;  // of the entry probe
  uint64_t entry_offset = 0;  // the first instruction after the stack check
  uint64_t probe_offset = 0;  // the entry probe: entry_offset, or the check's JBE
  bool stack_check = false;
  bool probe_emulated = false;  // the entry probe's instruction is emulated (cheap)
  std::vector<uint64_t> ret_offsets;
  std::string reason;  // why it is missing, or why its sites could not be found
};

struct Inspection {
  std::string path;            // what was opened (/proc/PID/exe for a process)
  std::optional<pid_t> pid;
  std::string exe;             // the binary's own path (readlink of /proc/PID/exe)
  std::optional<uint64_t> load_bias;  // runtime address - link-time address (process only)
  goelf::BuildInfo build;
  std::string arch;
  bool pie = false;
  bool stripped = false;
  std::string symbol_source;
  size_t functions = 0;         // what the pclntab lists
  size_t symtab_functions = 0;  // STT_FUNC in .symtab (0 when stripped)
  std::string pclntab_format;
  std::string text_start_source;
  std::vector<ProbePointInfo> probes;
  goelf::RuntimeLayout layout;
  // With code_refs (tools/gen-offsets): for each global found in .symtab, its size and the
  // runtime code that refers to it, best candidates first (goelf/globals.h).
  struct GlobalRefs {
    uint64_t size = 0;
    std::vector<goelf::LearnedRef> refs;
  };
  std::map<std::string, GlobalRefs> code_refs;
};

Result<Inspection> inspect_binary(const std::string& path, bool code_refs = false);
// The binary of a live process (probe::open_process_image) and its load bias.
Result<Inspection> inspect_process(pid_t pid);

}  // namespace gri::inspect
