#include "cgroup/memory_cgroup.h"
#include "common/text_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

namespace gri::cgroup {

namespace {

constexpr const char* kV1 = "/sys/fs/cgroup/memory";

Status write_file(const std::string& path, const std::string& value) {
  std::ofstream out(path);
  out << value;
  out.flush();
  if (!out) return make_error("cannot write {} to {}: {}", value, path, strerror(errno));
  return {};
}

// The cgroup v2 mount whose controllers include memory, if any.
std::string v2_root() {
  for (const char* root : {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"}) {
    auto controllers = read_text_file(std::string(root) + "/cgroup.controllers");
    if (controllers && controllers->find("memory") != std::string::npos) return root;
  }
  return "";
}

// "oom_kill 3" in a key-value file.
Result<uint64_t> read_key(const std::string& path, const std::string& key) {
  std::ifstream in(path);
  if (!in) return make_error("cannot read {}: {}", path, strerror(errno));
  std::string k;
  uint64_t v = 0;
  while (in >> k >> v) {
    if (k == key) return v;
  }
  return make_error("no {} in {} (kernel older than 4.13?)", key, path);
}

}  // namespace

Result<MemoryCgroup> MemoryCgroup::create(const std::string& name, uint64_t limit_bytes) {
  bool v1 = access((std::string(kV1) + "/memory.limit_in_bytes").c_str(), W_OK) == 0;
  std::string root = v1 ? kV1 : v2_root();
  if (root.empty()) {
    return make_error("no memory cgroup controller (v1 {} or v2 with memory) to run in", kV1);
  }
  std::string path = fmt::format("{}/gri-{}-{}", root, getpid(), name);
  if (mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
    return make_error("cannot create cgroup {}: {} (root needed)", path, strerror(errno));
  }
  MemoryCgroup cg(path, !v1);
  auto st = write_file(path + (v1 ? "/memory.limit_in_bytes" : "/memory.max"),
                       std::to_string(limit_bytes));
  if (!st) return st.error();
  if (v1) {
    // Without swap accounting the limit holds; where memsw exists, cap it too so the
    // process cannot escape to swap.
    if (access((path + "/memory.memsw.limit_in_bytes").c_str(), W_OK) == 0) {
      (void)write_file(path + "/memory.memsw.limit_in_bytes", std::to_string(limit_bytes));
    }
  } else {
    (void)write_file(path + "/memory.swap.max", "0");
  }
  return cg;
}

MemoryCgroup::MemoryCgroup(MemoryCgroup&& other) noexcept
    : path_(std::move(other.path_)), v2_(other.v2_) {
  other.path_.clear();
}

MemoryCgroup::~MemoryCgroup() {
  if (!path_.empty()) rmdir(path_.c_str());
}

Status MemoryCgroup::add(pid_t pid) const {
  return write_file(path_ + "/cgroup.procs", std::to_string(pid));
}

Result<uint64_t> MemoryCgroup::oom_kills() const {
  return v2_ ? read_key(path_ + "/memory.events", "oom_kill")
             : read_key(path_ + "/memory.oom_control", "oom_kill");
}

Result<uint64_t> MemoryCgroup::peak_bytes() const {
  std::string path = path_ + (v2_ ? "/memory.peak" : "/memory.max_usage_in_bytes");
  auto text = read_text_file(path);
  if (!text) return make_error("cannot read {} (v2 needs Linux 5.19+)", path);
  try {
    return static_cast<uint64_t>(std::stoull(*text));
  } catch (const std::exception&) {
    return make_error("{}: not a byte count: {}", path, *text);
  }
}

}  // namespace gri::cgroup
