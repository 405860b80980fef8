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

// Bit 63 of an entry probe's BPF cookie: the probe sits on the stack check's JBE, and its
// program must skip the hit when the jump is taken (go_entry_repeats in bpf/go.bpf.h). Link-time
// addresses and indexes, what the cookies carry otherwise, never reach it.
inline constexpr uint64_t kCookieOnCheckJump = 1ull << 63;

// Where probes on `function` go in a binary: the entry, every RET.
//
// The entry probe goes on the first instruction after the stack-check prologue when x86-64
// uprobes emulate it (PUSHQ BP, Go 1.21+), else on the check's JBE, which they emulate too:
// Go 1.19-1.20 open the frame with SUBQ $n, SP, which the kernel single-steps (15-40 us a
// hit here against 0.4-0.8 us, DESIGN.md). The JBE runs once more for each call that grows
// its stack, with the jump taken; the program skips those hits (kCookieOnCheckJump), so both
// placements count each call once.
struct ProbePoint {
  uint64_t addr = 0;          // function start (link-time virtual address)
  uint64_t size = 0;
  uint64_t entry_offset = 0;  // bytes past the start of the first instruction after the check
  uint64_t probe_offset = 0;  // bytes past the start where the entry probe goes
  uint64_t file_offset = 0;   // what the entry uprobe is attached at (probe_offset's)
  bool stack_check = false;   // false: nosplit, probed at its first byte
  bool on_check_jump = false;   // probe_offset is the stack check's JBE
  bool entry_emulated = false;  // the probe's instruction is emulated (PUSH, JBE): cheap
  std::vector<uint64_t> ret_offsets;  // bytes past the start of every RET

  // The entry probe's link-time address (its run-time address minus the PIE load bias).
  uint64_t site() const { return addr + probe_offset; }
  // An entry probe's cookie carrying `value` (an address below 2^63, or an index).
  uint64_t cookie(uint64_t value) const { return on_check_jump ? value | kCookieOnCheckJump : value; }
};

Result<ProbePoint> resolve_probe_point(const goelf::GoBinary& bin, std::string_view function);

// One uprobe at a file offset of `bin`, with a cookie its program reads through
// bpf_get_attach_cookie. `what` names the site in errors ("runtime.gcStart+0x12").
Result<Link> attach_uprobe(bpf_program* program, const goelf::GoBinary& bin, uint64_t file_offset,
                           uint64_t cookie, std::string_view what, pid_t pid);

// The entry probe of `point` (resolved for `function`), with point.cookie(cookie): a program
// attached here must start with go_entry_repeats (bpf/go.bpf.h).
Result<Link> attach_entry(bpf_program* program, const goelf::GoBinary& bin,
                          std::string_view function, const ProbePoint& point, uint64_t cookie,
                          pid_t pid);

// Entry probe (attach_entry) and a return probe on every RET of `function`, all with
// `cookie`. Return probes are plain uprobes on RET instructions: never uretprobes.
Result<std::vector<Link>> attach_entry_and_returns(const goelf::GoBinary& bin,
                                                   std::string_view function, bpf_program* entry,
                                                   bpf_program* ret, uint64_t cookie, pid_t pid);

// Attaches every row; pid -1 traces every process running the binary. Any failure
// detaches what was attached and names program, function, binary, offset and errno.
Result<std::vector<Link>> attach_go_entries(const goelf::GoBinary& bin,
                                            std::span<const GoEntryProbe> probes, pid_t pid);

}  // namespace gri::probe
