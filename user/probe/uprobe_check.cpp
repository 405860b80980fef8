#include "probe/uprobe_check.h"

#include <bpf/libbpf.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "goelf/elf_file.h"
#include "probe/owned.h"
#include "selftest.h"
#include "selftest.skel.h"

// The probed function: not inlined, not static, so it has a .symtab entry of its own.
extern "C" __attribute__((noinline, used)) void gri_uprobe_selftest_target(uint64_t i) {
  asm volatile("" : : "r"(i) : "memory");
}

namespace gri::probe {

namespace {

// Called through a volatile pointer so the compiler keeps every call.
void (*volatile target)(uint64_t) = gri_uprobe_selftest_target;

double ns_per_call(uint64_t calls) {
  auto start = std::chrono::steady_clock::now();
  for (uint64_t i = 0; i < calls; i++) target(i);
  std::chrono::duration<double, std::nano> d = std::chrono::steady_clock::now() - start;
  return d.count() / static_cast<double>(calls);
}

}  // namespace

Result<SelftestResult> run_uprobe_selftest(uint64_t calls) {
  auto self = goelf::ElfFile::open("/proc/self/exe");
  if (!self) return self.error();
  const goelf::Symbol* sym = self->find_function("gri_uprobe_selftest_target");
  if (!sym) return make_error("gri's own binary has no symbol gri_uprobe_selftest_target");
  auto offset = self->file_offset(sym->addr);
  if (!offset) return offset.error();

  Owned<selftest_bpf, selftest_bpf__destroy> skel(selftest_bpf__open());
  if (!skel) return make_error("cannot open the self-test BPF object: {}", strerror(errno));
  skel->rodata->cfg.tgid = static_cast<__u32>(getpid());
  skel->rodata->cfg.pad = 0;
  if (int err = selftest_bpf__load(skel.get()); err != 0) {
    return make_error("cannot load a BPF program: {}", strerror(-err));
  }
  Link link(bpf_program__attach_uprobe(skel->progs.selftest_hit, false, getpid(), "/proc/self/exe",
                                       *offset));
  if (!link) {
    return make_error("cannot attach a uprobe to gri_uprobe_selftest_target (/proc/self/exe, "
                      "file offset {:#x}): {}",
                      *offset, strerror(errno));
  }
  double probed = ns_per_call(calls);
  SelftestResult out;
  out.calls = calls;
  out.hits = __atomic_load_n(&skel->bss->hits, __ATOMIC_RELAXED);
  link.reset();
  double bare = ns_per_call(calls);
  out.ns_per_hit = std::max(0.0, probed - bare);
  return out;
}

}  // namespace gri::probe
