// A memory cgroup of gri's own, for the container run of EXP-05: a limit, a process moved in
// before it runs, and the OOM kills counted by the kernel. cgroup v1's memory controller
// (/sys/fs/cgroup/memory, these machines) or v2 where it is the one with "memory".
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "common/result.h"

namespace gri::cgroup {

class MemoryCgroup {
 public:
  // Creates gri-<pid>-<name> with `limit_bytes` as its memory limit (root needed).
  static Result<MemoryCgroup> create(const std::string& name, uint64_t limit_bytes);
  MemoryCgroup(MemoryCgroup&& other) noexcept;
  MemoryCgroup& operator=(MemoryCgroup&&) = delete;
  // Removes the cgroup (its processes must have exited).
  ~MemoryCgroup();

  Status add(pid_t pid) const;
  // OOM kills in this cgroup so far (v1 memory.oom_control, v2 memory.events "oom_kill").
  Result<uint64_t> oom_kills() const;
  // The most memory charged to the cgroup so far (v1 memory.max_usage_in_bytes, v2
  // memory.peak, Linux 5.19+).
  Result<uint64_t> peak_bytes() const;
  const std::string& path() const { return path_; }
  bool v2() const { return v2_; }

 private:
  MemoryCgroup(std::string path, bool v2) : path_(std::move(path)), v2_(v2) {}
  std::string path_;
  bool v2_ = false;
};

}  // namespace gri::cgroup
