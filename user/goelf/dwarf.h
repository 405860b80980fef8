// Struct member offsets, type sizes and global addresses from a Go binary's DWARF, through
// libdw. Go compresses its DWARF sections (SHF_COMPRESSED); libdw inflates them.
// Stripped binaries (-ldflags=-s -w) have none: open() says so.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

namespace gri::goelf {

class Dwarf {
 public:
  static Result<Dwarf> open(const std::string& path);
  Dwarf(Dwarf&&) noexcept;
  Dwarf& operator=(Dwarf&&) noexcept;
  ~Dwarf();

  // Offset of a member of a named struct type ("runtime.g"); `path` may go through nested
  // structs with dots ("sched.sp", "runq.size"). An error names what is missing.
  Result<uint64_t> member_offset(std::string_view type, std::string_view path) const;
  Result<uint64_t> type_size(std::string_view type) const;
  // Address of a global variable ("runtime.sched").
  Result<uint64_t> global_address(std::string_view name) const;

 private:
  struct Index;
  explicit Dwarf(std::unique_ptr<Index> index);
  std::unique_ptr<Index> index_;
};

}  // namespace gri::goelf
