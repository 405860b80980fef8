#include "probe/uprobe_check.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <set>
#include <utility>

#include "goelf/elf_file.h"
#include "probe/owned.h"
#include "bpf/selftest.h"
#include "selftest.skel.h"

// The probed functions: not inlined, not static, so each has a .symtab entry of its own.
// gcc makes the first a bare RET; the second starts as a Go function after its stack check.
extern "C" __attribute__((noinline, used)) void gri_uprobe_selftest_target(uint64_t i) {
  asm volatile("" : : "r"(i) : "memory");
}
extern "C" __attribute__((naked, noinline, used)) void gri_uprobe_selftest_push(uint64_t) {
  asm("push %rbp\n\tmov %rsp, %rbp\n\tpop %rbp\n\tret\n");
}

namespace gri::probe {

namespace {

using Skeleton = Owned<selftest_bpf, selftest_bpf__destroy>;

// Called through a volatile pointer so the compiler keeps every call.
void (*volatile target)(uint64_t) = gri_uprobe_selftest_target;
void (*volatile push_target)(uint64_t) = gri_uprobe_selftest_push;

double ns_per_call(uint64_t calls, void (*volatile& fn)(uint64_t) = target) {
  auto start = std::chrono::steady_clock::now();
  for (uint64_t i = 0; i < calls; i++) fn(i);
  std::chrono::duration<double, std::nano> d = std::chrono::steady_clock::now() - start;
  return d.count() / static_cast<double>(calls);
}

// BPF updates the counters while user space reads them.
template <typename T>
uint64_t load(const T& counter) {
  return __atomic_load_n(&counter, __ATOMIC_RELAXED);
}

uint32_t own_tid() { return static_cast<uint32_t>(syscall(SYS_gettid)); }

// Every field set explicitly; each self-test changes what it uses.
selftest_config base_config() {
  selftest_config cfg{};
  cfg.tgid = static_cast<__u32>(getpid());
  cfg.other_tgid = 0;
  cfg.signal = 0;
  cfg.ringbuf_events = 0;
  return cfg;
}

// Opens the self-test object with only `keep` set to load: one self-test's programs.
// Programs are picked by name, as the skeleton's progs struct is not iterable.
Result<Skeleton> open_selftest(std::initializer_list<const char*> keep) {
  Skeleton skel(selftest_bpf__open());
  if (!skel) return make_error("cannot open the self-test BPF object: {}", strerror(errno));
  bpf_program* prog = nullptr;
  bpf_object__for_each_program(prog, skel->obj) {
    std::string_view name = bpf_program__name(prog);
    bool wanted = std::find(keep.begin(), keep.end(), name) != keep.end();
    bpf_program__set_autoload(prog, wanted);
  }
  return skel;
}

Status load_selftest(Skeleton& skel, std::string_view what) {
  if (int err = selftest_bpf__load(skel.get()); err != 0) {
    return make_error("cannot load the {} self-test BPF programs: {}", what, strerror(-err));
  }
  return {};
}

// Where a uprobe on one of gri's own functions goes in /proc/self/exe.
Result<uint64_t> target_offset(const char* function) {
  auto self = goelf::ElfFile::open("/proc/self/exe");
  if (!self) return self.error();
  const goelf::Symbol* sym = self->find_function(function);
  if (!sym) return make_error("gri's own binary has no symbol {}", function);
  return self->file_offset(sym->addr);
}

Result<Link> attach_self_uprobe(bpf_program* prog,
                                const char* function = "gri_uprobe_selftest_target") {
  auto offset = target_offset(function);
  if (!offset) return offset.error();
  Link link(bpf_program__attach_uprobe(prog, false, getpid(), "/proc/self/exe", *offset));
  if (!link) {
    return make_error("cannot attach {} as a uprobe on {} (/proc/self/exe, file offset {:#x}): {}",
                      bpf_program__name(prog), function, *offset, strerror(errno));
  }
  return link;
}

uint64_t thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000 + static_cast<uint64_t>(ts.tv_nsec);
}

void sleep_ms(int ms) {
  timespec req{0, ms * 1'000'000L}, rem{};
  while (nanosleep(&req, &rem) != 0 && errno == EINTR) req = rem;
}

// A child process that waits for go(), sleeps 1 ms `rounds` times, then waits for
// finish(): the tracepoint filter's bystander. It only calls async-signal-safe functions
// after fork. Killed and reaped if the self-test gives up early.
class Bystander {
 public:
  static Result<Bystander> start(uint64_t rounds) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return make_error("cannot make a pipe: {}", strerror(errno));
    ScopedFd rd(fds[0]);
    Bystander b;
    b.wr_ = ScopedFd(fds[1]);
    b.pid_ = fork();
    if (b.pid_ < 0) return make_error("cannot fork the bystander process: {}", strerror(errno));
    if (b.pid_ == 0) {
      close(b.wr_.release());
      char c;
      ssize_t n;
      while ((n = read(rd.get(), &c, 1)) < 0 && errno == EINTR) {
      }
      if (n != 1) _exit(1);
      for (uint64_t i = 0; i < rounds; i++) sleep_ms(1);
      while ((n = read(rd.get(), &c, 1)) != 0 && (n > 0 || errno == EINTR)) {
      }
      _exit(0);
    }
    return b;
  }

  Bystander() = default;
  Bystander(Bystander&& o) noexcept : pid_(std::exchange(o.pid_, -1)), wr_(std::move(o.wr_)) {}
  Bystander& operator=(Bystander&&) = delete;
  ~Bystander() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  pid_t pid() const { return pid_; }

  Status go() {
    char c = 'g';
    if (write(wr_.get(), &c, 1) != 1) {
      return make_error("cannot start the bystander process: {}", strerror(errno));
    }
    return {};
  }

  // Lets it exit and reaps it.
  Status finish() {
    wr_ = ScopedFd();
    int status = 0;
    pid_t p = waitpid(pid_, &status, 0);
    pid_ = -1;
    if (p < 0) return make_error("cannot wait for the bystander process: {}", strerror(errno));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      return make_error("the bystander process failed (wait status {:#x})", status);
    }
    return {};
  }

 private:
  pid_t pid_ = -1;
  ScopedFd wr_;
};

std::set<uint32_t> own_threads() {
  std::set<uint32_t> tids;
  if (DIR* d = opendir("/proc/self/task")) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] == '.') continue;
      tids.insert(static_cast<uint32_t>(std::strtoul(e->d_name, nullptr, 10)));
    }
    closedir(d);
  }
  return tids;
}

}  // namespace

Result<SelftestResult> run_uprobe_selftest(uint64_t calls) {
  auto skel = open_selftest({"selftest_hit"});
  if (!skel) return skel.error();
  (*skel)->rodata->cfg = base_config();
  if (auto st = load_selftest(*skel, "uprobe"); !st) return st.error();
  SelftestResult out;
  out.calls = calls;
  {
    auto link = attach_self_uprobe((*skel)->progs.selftest_hit, "gri_uprobe_selftest_push");
    if (!link) return link.error();
    double probed = ns_per_call(calls, push_target);
    out.push_hits = load((*skel)->bss->counts.uprobe_hits);
    link->reset();
    out.ns_per_push_hit = std::max(0.0, probed - ns_per_call(calls, push_target));
  }
  auto link = attach_self_uprobe((*skel)->progs.selftest_hit);
  if (!link) return link.error();
  double probed = ns_per_call(calls);
  out.hits = load((*skel)->bss->counts.uprobe_hits) - out.push_hits;
  link->reset();
  out.ns_per_hit = std::max(0.0, probed - ns_per_call(calls));
  return out;
}

Result<TracepointSelftestResult> run_tracepoint_selftest(uint64_t rounds) {
  // Forked first: its tgid goes into the read-only config, which is fixed at load.
  auto bystander = Bystander::start(rounds);
  if (!bystander) return bystander.error();

  auto skel = open_selftest(
      {"selftest_switch", "selftest_wakeup", "selftest_signal", "selftest_switch_classic"});
  if (!skel) return skel.error();
  auto& s = *skel;
  selftest_config cfg = base_config();
  cfg.other_tgid = static_cast<__u32>(bystander->pid());
  cfg.signal = SIGURG;
  s->rodata->cfg = cfg;
  if (auto st = load_selftest(s, "tracepoint"); !st) return st.error();

  struct Row {
    bpf_program* prog;
    const char* category;
    const char* name;
  };
  const Row rows[] = {{s->progs.selftest_switch, "sched", "sched_switch"},
                      {s->progs.selftest_wakeup, "sched", "sched_wakeup"},
                      {s->progs.selftest_signal, "signal", "signal_generate"}};
  std::vector<Link> links;
  for (const Row& r : rows) {
    auto link = attach_tracepoint(r.prog, r.category, r.name);
    if (!link) return link.error();
    links.push_back(std::move(*link));
  }
  TracepointSelftestResult out;
  // The classic tracepoint needs tracefs; without it the BTF ones above still work.
  if (auto link = attach_tracepoint(s->progs.selftest_switch_classic, "sched", "sched_switch")) {
    links.push_back(std::move(*link));
  } else {
    out.classic_unavailable = link.error().message;
  }

  if (auto st = bystander->go(); !st) return st.error();
  for (uint64_t i = 0; i < rounds; i++) sleep_ms(1);
  // SIGURG's default action is to ignore it, and signal_generate fires for ignored
  // signals too (result TRACE_SIGNAL_IGNORED, __send_signal_locked, kernel/signal.c).
  for (uint64_t i = 0; i < rounds; i++) {
    syscall(SYS_tgkill, getpid(), own_tid(), SIGURG);
    kill(bystander->pid(), SIGURG);
  }
  if (auto st = bystander->finish(); !st) return st.error();
  links.clear();

  const selftest_counts& c = s->bss->counts;
  out.rounds = rounds;
  out.signal = SIGURG;
  out.switch_out = load(c.switch_out);
  out.switch_in = load(c.switch_in);
  out.switch_other = load(c.switch_other);
  out.switch_prev_not_current = load(c.switch_prev_not_current);
  out.wakeup = load(c.wakeup);
  out.wakeup_other = load(c.wakeup_other);
  out.signal_ours = load(c.signal);
  out.signal_other = load(c.signal_other);
  out.signal_sent = load(c.signal_sent);
  out.classic_switch_out = load(c.classic_switch_out);
  out.classic_prev_not_current = load(c.classic_prev_not_current);
  out.own_tid = own_tid();

  std::set<uint32_t> ours = own_threads();
  int fd = bpf_map__fd(s->maps.kept_tids);
  uint32_t key = 0, next = 0;
  const uint32_t* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    uint64_t n = 0;
    if (bpf_map_lookup_elem(fd, &next, &n) == 0 && next == out.own_tid) out.own_tid_events = n;
    if (!ours.count(next)) out.foreign_tids.push_back(next);
    key = next;
    prev = &key;
  }
  return out;
}

Result<SamplingSelftestResult> run_sampling_selftest(uint64_t frequency_hz, uint64_t spin_ms) {
  auto skel = open_selftest({"selftest_sample"});
  if (!skel) return skel.error();
  auto& s = *skel;
  s->rodata->cfg = base_config();
  if (auto st = load_selftest(s, "perf sampling"); !st) return st.error();
  auto links = attach_cpu_clock_sampling(s->progs.selftest_sample, frequency_hz);
  if (!links) return links.error();

  const selftest_counts& c = s->bss->counts;
  SamplingSelftestResult before;
  before.samples = load(c.samples);
  before.samples_user_stack = load(c.samples_user_stack);
  before.user_frames = load(c.user_frames);
  before.samples_other = load(c.samples_other);
  // Spins until this thread has run spin_ms on a CPU (its own CPU time, not wall time:
  // on a loaded machine the thread shares its CPU, and cpu-clock samples only the task
  // that is running), or 20 x spin_ms of wall time have passed.
  const uint64_t want_ns = spin_ms * 1'000'000;
  const uint64_t cpu0 = thread_cpu_ns();
  const auto wall0 = std::chrono::steady_clock::now();
  const auto give_up = wall0 + std::chrono::milliseconds(20 * spin_ms);
  uint64_t spins = 0;
  while (thread_cpu_ns() - cpu0 < want_ns && std::chrono::steady_clock::now() < give_up) {
    for (int i = 0; i < 1000; i++) target(spins++);
  }
  const uint64_t cpu_ns = thread_cpu_ns() - cpu0;
  const std::chrono::duration<double, std::milli> wall = std::chrono::steady_clock::now() - wall0;

  SamplingSelftestResult out;
  out.samples = load(c.samples) - before.samples;
  out.samples_user_stack = load(c.samples_user_stack) - before.samples_user_stack;
  out.user_frames = load(c.user_frames) - before.user_frames;
  out.samples_other = load(c.samples_other) - before.samples_other;
  out.frequency_hz = frequency_hz;
  out.spin_ms = spin_ms;
  out.cpu_ms = static_cast<double>(cpu_ns) / 1e6;
  out.wall_ms = wall.count();
  out.cpus = links->size();
  out.expected = frequency_hz * cpu_ns / 1'000'000'000;
  return out;
}

Result<RingbufSelftestResult> run_ringbuf_selftest(uint32_t events) {
  if (events == 0 || events > SELFTEST_RINGBUF_MAX) {
    return make_error("the ringbuf self-test outputs 1 to {} records, not {}", SELFTEST_RINGBUF_MAX,
                      events);
  }
  auto skel = open_selftest({"selftest_ringbuf_burst"});
  if (!skel) return skel.error();
  auto& s = *skel;
  selftest_config cfg = base_config();
  cfg.ringbuf_events = events;
  s->rodata->cfg = cfg;
  // The smallest ring there is: one page (a power of 2 and a multiple of the page size).
  const auto ring_bytes = static_cast<uint32_t>(sysconf(_SC_PAGESIZE));
  if (int err = bpf_map__set_max_entries(s->maps.ringbuf, ring_bytes); err != 0) {
    return make_error("cannot size ring buffer ringbuf to {} bytes: {}", ring_bytes,
                      strerror(-err));
  }
  if (auto st = load_selftest(s, "ring buffer"); !st) return st.error();
  auto link = attach_self_uprobe(s->progs.selftest_ringbuf_burst);
  if (!link) return link.error();
  target(0);  // one hit, one burst
  link->reset();

  struct Consumed {
    uint64_t n = 0;
    bool in_order = true;
  } consumed;
  auto on_record = [](void* ctx, void* data, size_t size) -> int {
    auto* c = static_cast<Consumed*>(ctx);
    const auto* rec = static_cast<const selftest_record*>(data);
    if (size != sizeof(selftest_record) || rec->seq != c->n || rec->fill[0] != 0xab) {
      c->in_order = false;
    }
    c->n++;
    return 0;
  };
  auto rb = open_ring_buffer(s->maps.ringbuf, on_record, &consumed);
  if (!rb) return rb.error();
  if (int n = ring_buffer__consume(rb->get()); n < 0) {
    return make_error("cannot consume ring buffer ringbuf: {}", strerror(-n));
  }

  RingbufSelftestResult out;
  out.ring_bytes = ring_bytes;
  out.record_bytes = ringbuf_record_bytes(sizeof(selftest_record));
  out.fit = ringbuf_records_that_fit(ring_bytes, sizeof(selftest_record));
  out.submitted = events;
  out.reserved = load(s->bss->counts.ringbuf_reserved);
  out.lost = load(s->bss->counts.ringbuf_lost);
  out.consumed = consumed.n;
  out.in_order = consumed.in_order;
  return out;
}

uint32_t ringbuf_selftest_events() {
  uint64_t fit = ringbuf_records_that_fit(static_cast<uint64_t>(sysconf(_SC_PAGESIZE)),
                                          sizeof(selftest_record));
  return static_cast<uint32_t>(std::clamp<uint64_t>(2 * fit, 100, SELFTEST_RINGBUF_MAX));
}

Result<HwSelftestResult> run_hw_counter_selftest() {
  auto skel = open_selftest({"selftest_hw_read"});
  if (!skel) return skel.error();
  auto& s = *skel;
  s->rodata->cfg = base_config();
  int possible = libbpf_num_possible_cpus();
  if (possible <= 0) return make_error("cannot count the possible CPUs: {}", strerror(-possible));
  struct Row {
    HwCounter counter;
    bpf_map* map;
    int slot;
  };
  const Row rows[] = {{HwCounter::kCycles, s->maps.hw_cycles, SELFTEST_HW_CYCLES},
                      {HwCounter::kInstructions, s->maps.hw_instructions, SELFTEST_HW_INSTRUCTIONS},
                      {HwCounter::kCacheMisses, s->maps.hw_cache_misses, SELFTEST_HW_CACHE_MISSES}};
  for (const Row& r : rows) {
    if (int err = bpf_map__set_max_entries(r.map, static_cast<uint32_t>(possible)); err != 0) {
      return make_error("cannot size map {}: {}", bpf_map__name(r.map), strerror(-err));
    }
  }
  if (auto st = load_selftest(s, "hardware counter"); !st) return st.error();

  HwSelftestResult out;
  std::vector<HwCounterSet> sets;
  bool any = false;
  for (const Row& r : rows) {
    auto set = open_hw_counter(r.counter, r.map);
    if (!set) return set.error();
    HwCounterReading reading;
    reading.counter = r.counter;
    reading.unavailable = set->unavailable;
    any = any || set->available();
    out.counters.push_back(reading);
    sets.push_back(std::move(*set));
  }
  if (!any) return out;

  auto link = attach_self_uprobe(s->progs.selftest_hw_read);
  if (!link) return link.error();
  target(0);
  link->reset();
  if (load(s->bss->counts.hw_reads) != 1) {
    return make_error("the hardware counter uprobe fired {} times for 1 call",
                      load(s->bss->counts.hw_reads));
  }
  for (size_t i = 0; i < out.counters.size(); i++) {
    if (!out.counters[i].unavailable.empty()) continue;
    const selftest_hw_reading& h = s->bss->counts.hw[rows[i].slot];
    out.counters[i].err = h.err;
    out.counters[i].value = h.counter;
    out.counters[i].enabled_ns = h.enabled;
    out.counters[i].running_ns = h.running;
  }
  return out;
}

}  // namespace gri::probe
