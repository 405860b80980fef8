#include "probe/kernel_events.h"

#include <chrono>
#include "common/text_file.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

namespace gri::probe {

ScopedFd& ScopedFd::operator=(ScopedFd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) close(fd_);
    fd_ = o.release();
  }
  return *this;
}

ScopedFd::~ScopedFd() {
  if (fd_ >= 0) close(fd_);
}

namespace {

Status require_loaded(bpf_program* prog) {
  if (!prog) return make_error("no BPF program given (was it left out of the object?)");
  if (bpf_program__fd(prog) < 0) {
    return make_error("BPF program {} is not loaded (autoload off, or the load failed)",
                      bpf_program__name(prog));
  }
  return {};
}

}  // namespace

// --- tracepoints --------------------------------------------------------------------

const std::vector<std::string>& tracefs_roots() {
  static const std::vector<std::string> roots = {"/sys/kernel/tracing",
                                                 "/sys/kernel/debug/tracing"};
  return roots;
}

Result<uint64_t> read_tracepoint_id(std::string_view category, std::string_view name,
                                    const std::vector<std::string>& roots) {
  std::vector<std::string> tried;
  int first_err = ENOENT;
  for (const std::string& root : roots) {
    std::string path = fmt::format("{}/events/{}/{}/id", root, category, name);
    int err = 0;
    std::string text = read_text_file(path, &err).value_or("");
    if (err != 0) {
      if (tried.empty()) first_err = err;
      tried.push_back(path);
      continue;
    }
    uint64_t id = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (ec != std::errc() || end == text.data()) {
      return make_error("cannot read the id of tracepoint {}:{}: {} holds '{}', not a number",
                        category, name, path, text);
    }
    return id;
  }
  return make_error(
      "cannot read the id of tracepoint {}:{} ({}): {}; is tracefs mounted? (gri doctor mounts "
      "it: mount -t tracefs nodev /sys/kernel/tracing)",
      category, name, fmt::join(tried, ", "), strerror(first_err));
}

Result<Link> attach_tracepoint(bpf_program* prog, std::string_view category,
                               std::string_view name) {
  if (auto st = require_loaded(prog); !st) return st.error();
  const char* prog_name = bpf_program__name(prog);
  std::string cat(category), tp(name);
  bpf_link* link = nullptr;
  switch (bpf_program__type(prog)) {
    case BPF_PROG_TYPE_TRACEPOINT: {
      // libbpf reads the same id again; reading it first gives the tracefs error clearly.
      if (auto id = read_tracepoint_id(category, name); !id) return id.error();
      link = bpf_program__attach_tracepoint(prog, cat.c_str(), tp.c_str());
      break;
    }
    case BPF_PROG_TYPE_TRACING: {
      // tp_btf: the kernel bound the program to btf_trace_<name> at load time, from its
      // section name; the caller's name can only be checked against it.
      std::string_view sec = bpf_program__section_name(prog);
      if (bpf_program__expected_attach_type(prog) != BPF_TRACE_RAW_TP ||
          sec != "tp_btf/" + tp) {
        return make_error("cannot attach {} to tracepoint {}:{}: its section is {}, not tp_btf/{}",
                          prog_name, category, name, sec, name);
      }
      link = bpf_program__attach_trace(prog);
      break;
    }
    case BPF_PROG_TYPE_RAW_TRACEPOINT:
      link = bpf_program__attach_raw_tracepoint(prog, tp.c_str());
      break;
    default:
      return make_error("cannot attach {} to tracepoint {}:{}: it is not a tracepoint program "
                        "(section {})",
                        prog_name, category, name, bpf_program__section_name(prog));
  }
  if (!link) {
    return make_error("cannot attach {} to tracepoint {}:{}: {}", prog_name, category, name,
                      strerror(errno));
  }
  return Link(link);
}

// --- perf events --------------------------------------------------------------------

Result<std::vector<int>> parse_cpu_list(std::string_view text) {
  std::vector<int> cpus;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  if (text.empty()) return make_error("empty CPU list");
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    std::string_view item = text.substr(pos, comma == std::string_view::npos ? text.npos
                                                                            : comma - pos);
    unsigned lo = 0, hi = 0;  // unsigned: "-1" is not a CPU
    const char* b = item.data();
    const char* e = item.data() + item.size();
    auto r = std::from_chars(b, e, lo);
    if (r.ec != std::errc() || r.ptr == b) return make_error("bad CPU list '{}'", text);
    hi = lo;
    if (r.ptr != e) {
      if (*r.ptr != '-') return make_error("bad CPU list '{}'", text);
      auto r2 = std::from_chars(r.ptr + 1, e, hi);
      if (r2.ec != std::errc() || r2.ptr != e || hi < lo) {
        return make_error("bad CPU list '{}'", text);
      }
    }
    for (unsigned c = lo; c <= hi; c++) cpus.push_back(static_cast<int>(c));
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return cpus;
}

Result<std::vector<int>> online_cpus() {
  const std::string path = "/sys/devices/system/cpu/online";
  int err = 0;
  std::string text = read_text_file(path, &err).value_or("");
  if (err != 0) return make_error("cannot read {}: {}", path, strerror(err));
  auto cpus = parse_cpu_list(text);
  if (!cpus) return make_error("{}: {}", path, cpus.error().message);
  return cpus;
}

int perf_event_open_fd(const perf_event_attr& attr, pid_t pid, int cpu) {
  return static_cast<int>(syscall(SYS_perf_event_open, &attr, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC));
}

Result<std::vector<Link>> attach_cpu_clock_sampling(bpf_program* prog, uint64_t frequency_hz) {
  if (auto st = require_loaded(prog); !st) return st.error();
  if (frequency_hz == 0) return make_error("cpu-clock sampling needs a frequency above 0 Hz");
  auto cpus = online_cpus();
  if (!cpus) return cpus.error();

  perf_event_attr attr{};
  attr.size = sizeof(attr);
  attr.type = PERF_TYPE_SOFTWARE;
  attr.config = PERF_COUNT_SW_CPU_CLOCK;
  // cpu-clock is an hrtimer: with freq the kernel turns the frequency into a fixed period
  // of 1e9/freq ns (perf_swevent_init_hrtimer, kernel/events/core.c).
  attr.freq = 1;
  attr.sample_freq = frequency_hz;

  std::vector<Link> links;
  for (int cpu : *cpus) {
    ScopedFd fd(perf_event_open_fd(attr, -1, cpu));
    if (!fd) {
      // A CPU that went offline since the list was read (libbpf-tools' profile skips it too).
      if (errno == ENODEV) continue;
      int err = errno;
      return make_error("cannot open cpu-clock sampling at {} Hz on CPU {}: {}{}", frequency_hz,
                        cpu, strerror(err),
                        err == EINVAL ? " (above kernel.perf_event_max_sample_rate?)" : "");
    }
    bpf_link* link = bpf_program__attach_perf_event(prog, fd.get());
    if (!link) {
      return make_error("cannot attach {} to the cpu-clock event of CPU {}: {}",
                        bpf_program__name(prog), cpu, strerror(errno));
    }
    fd.release();  // the link owns it now: libbpf closes it on bpf_link__destroy
    links.emplace_back(link);
  }
  if (links.empty()) return make_error("cannot open cpu-clock sampling: no CPU is online");
  return links;
}

std::string_view hw_counter_name(HwCounter counter) {
  switch (counter) {
    case HwCounter::kCycles:
      return "cycles";
    case HwCounter::kInstructions:
      return "instructions";
    case HwCounter::kCacheMisses:
      break;
  }
  return "cache-misses";
}

perf_event_attr hw_counter_attr(HwCounter counter) {
  perf_event_attr attr{};
  attr.size = sizeof(attr);
  attr.type = PERF_TYPE_HARDWARE;
  switch (counter) {
    case HwCounter::kCycles:
      attr.config = PERF_COUNT_HW_CPU_CYCLES;
      break;
    case HwCounter::kInstructions:
      attr.config = PERF_COUNT_HW_INSTRUCTIONS;
      break;
    case HwCounter::kCacheMisses:
      attr.config = PERF_COUNT_HW_CACHE_MISSES;
      break;
  }
  // Counting, not sampling; user space only: what gri attributes is the Go code's work.
  attr.exclude_kernel = 1;
  attr.exclude_hv = 1;
  return attr;
}

std::optional<std::string> hw_unavailable_reason(HwCounter counter, int err) {
  switch (err) {
    case ENOENT:
      return fmt::format("unavailable: no hardware PMU for {} (perf_event_open: {}; usual in a VM)",
                         hw_counter_name(counter), strerror(err));
    case EOPNOTSUPP:
    case EINVAL:
      return fmt::format("unavailable: the PMU does not count {} (perf_event_open: {})",
                         hw_counter_name(counter), strerror(err));
    default:
      return std::nullopt;
  }
}

int try_open_hw_counter(HwCounter counter) {
  perf_event_attr attr = hw_counter_attr(counter);
  attr.disabled = 1;
  int fd = perf_event_open_fd(attr, 0, -1);
  if (fd < 0) return errno;
  close(fd);
  return 0;
}

std::string hw_pmu_unavailable() {
  int err = try_open_hw_counter(HwCounter::kCycles);
  if (err == 0) return "";
  auto why = hw_unavailable_reason(HwCounter::kCycles, err);
  return why ? *why : fmt::format("unavailable: perf_event_open of cycles: {}", strerror(err));
}

Result<HwCounterSet> open_hw_counter(HwCounter counter, bpf_map* perf_event_array) {
  if (!perf_event_array || bpf_map__type(perf_event_array) != BPF_MAP_TYPE_PERF_EVENT_ARRAY) {
    return make_error("cannot open the {} counter: the map given is not a perf event array",
                      hw_counter_name(counter));
  }
  const char* map_name = bpf_map__name(perf_event_array);
  int map_fd = bpf_map__fd(perf_event_array);
  if (map_fd < 0) {
    return make_error("cannot open the {} counter: map {} is not created yet (load first)",
                      hw_counter_name(counter), map_name);
  }
  auto cpus = online_cpus();
  if (!cpus) return cpus.error();

  HwCounterSet set;
  set.counter = counter;
  perf_event_attr attr = hw_counter_attr(counter);
  auto give_up = [&](std::string why) {
    for (int cpu : set.cpus) {
      auto key = static_cast<uint32_t>(cpu);
      bpf_map_delete_elem(map_fd, &key);
    }
    set.cpus.clear();
    set.fds.clear();
    set.unavailable = std::move(why);
  };
  for (int cpu : *cpus) {
    ScopedFd fd(perf_event_open_fd(attr, -1, cpu));
    if (!fd) {
      int err = errno;
      if (err == ENODEV) continue;
      if (auto why = hw_unavailable_reason(counter, err)) {
        give_up(*why);
        return set;
      }
      give_up("");
      return make_error("cannot open the {} counter on CPU {}: {}", hw_counter_name(counter), cpu,
                        strerror(err));
    }
    auto key = static_cast<uint32_t>(cpu);
    if (key >= bpf_map__max_entries(perf_event_array)) {
      give_up("");
      return make_error("cannot put the {} counter of CPU {} into map {}: it has {} entries",
                        hw_counter_name(counter), cpu, map_name,
                        bpf_map__max_entries(perf_event_array));
    }
    uint32_t value = static_cast<uint32_t>(fd.get());
    if (bpf_map_update_elem(map_fd, &key, &value, BPF_ANY) != 0) {
      int err = errno;
      give_up("");
      return make_error("cannot put the {} counter of CPU {} into map {}: {}",
                        hw_counter_name(counter), cpu, map_name, strerror(err));
    }
    set.cpus.push_back(cpu);
    set.fds.push_back(std::move(fd));
  }
  if (set.fds.empty()) give_up("unavailable: no CPU is online");
  return set;
}

// --- ring buffers -------------------------------------------------------------------

Result<RingBuffer> open_ring_buffer(bpf_map* map, RingBufferCallback callback, void* ctx) {
  if (!map || bpf_map__type(map) != BPF_MAP_TYPE_RINGBUF) {
    return make_error("cannot open a ring buffer: the map given is not a BPF ring buffer");
  }
  RingBuffer rb(ring_buffer__new(bpf_map__fd(map), callback, ctx, nullptr));
  if (!rb) {
    return make_error("cannot open ring buffer {}: {}", bpf_map__name(map), strerror(errno));
  }
  return rb;
}

Result<std::unique_ptr<PolledRing>> PolledRing::open(bpf_map* map, RingBufferCallback callback,
                                                     void* ctx) {
  auto ring = open_ring_buffer(map, callback, ctx);
  if (!ring) return ring.error();
  std::unique_ptr<PolledRing> p(new PolledRing());
  p->ring_ = std::move(*ring);
  p->poller_ = std::jthread([self = p.get()](std::stop_token stop) {
    while (!stop.stop_requested()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      std::lock_guard lock(self->mu_);
      ring_buffer__consume(self->ring_.get());
    }
  });
  return p;
}

PolledRing::~PolledRing() {
  if (poller_.joinable()) {
    poller_.request_stop();
    poller_.join();
  }
}

Result<void> PolledRing::finish() {
  if (poller_.joinable()) {
    poller_.request_stop();
    poller_.join();
  }
  std::lock_guard lock(mu_);
  if (int r = ring_buffer__consume(ring_.get()); r < 0) {
    return make_error("cannot read the ring buffer: {}", strerror(-r));
  }
  return {};
}

uint64_t ringbuf_record_bytes(uint64_t size) {
  constexpr uint64_t kHeader = 8;  // BPF_RINGBUF_HDR_SZ
  return (size + kHeader + 7) / 8 * 8;
}

uint64_t ringbuf_records_that_fit(uint64_t ring_bytes, uint64_t size) {
  return ring_bytes / ringbuf_record_bytes(size);
}

}  // namespace gri::probe
