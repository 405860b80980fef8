// Entry probes on Go functions: resolved by name in the target binary, placed after the
// stack-check prologue, attached through libbpf as plain uprobes (never uretprobes: Go
// moves stacks and a fake return address crashes it).
#pragma once

#include <sys/types.h>

#include <span>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "goelf/go_binary.h"
#include "probe/owned.h"

struct bpf_program;

namespace gri::probe {

// One row of an experiment's attach table.
struct GoEntryProbe {
  bpf_program* program;
  std::string_view function;  // e.g. "runtime.gcStart"
};

// Where probes on `function` go in a binary: the entry after the prologue, every RET.
struct ProbePoint {
  uint64_t addr = 0;          // function start (link-time virtual address)
  uint64_t size = 0;
  uint64_t entry_offset = 0;  // bytes past the start where the entry probe goes
  uint64_t file_offset = 0;   // what the entry uprobe is attached at
  bool stack_check = false;   // false: nosplit, probed at its first byte
  bool entry_emulated = false;  // the entry instruction is a PUSH: a cheap, emulated probe
  std::vector<uint64_t> ret_offsets;  // bytes past the start of every RET
};

Result<ProbePoint> resolve_probe_point(const goelf::GoBinary& bin, std::string_view function);

// One uprobe at a file offset of `bin`, with a cookie its program reads through
// bpf_get_attach_cookie. `what` names the site in errors ("runtime.gcStart+0x12").
Result<Link> attach_uprobe(bpf_program* program, const goelf::GoBinary& bin, uint64_t file_offset,
                           uint64_t cookie, std::string_view what, pid_t pid);

// Entry probe (after the prologue) and a return probe on every RET of `function`, all with
// `cookie`. Return probes are plain uprobes on RET instructions: never uretprobes.
Result<std::vector<Link>> attach_entry_and_returns(const goelf::GoBinary& bin,
                                                   std::string_view function, bpf_program* entry,
                                                   bpf_program* ret, uint64_t cookie, pid_t pid);

// Attaches every row; pid -1 traces every process running the binary. Any failure
// detaches what was attached and names program, function, binary, offset and errno.
Result<std::vector<Link>> attach_go_entries(const goelf::GoBinary& bin,
                                            std::span<const GoEntryProbe> probes, pid_t pid);

}  // namespace gri::probe
