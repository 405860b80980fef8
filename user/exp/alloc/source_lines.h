// File and line of an address, from the binary's DWARF line table (.debug_line, which Go
// writes for every function); a stripped binary has none, and open() says so.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "common/result.h"

namespace gri::exp::alloc {

struct SourceLine {
  std::string file;
  int line = 0;
};

class SourceLines {
 public:
  static Result<SourceLines> open(const std::string& path);
  SourceLines(SourceLines&&) noexcept;
  ~SourceLines();
  // The line of a link-time address, or nullopt.
  std::optional<SourceLine> at(uint64_t addr) const;

 private:
  struct Handle;
  explicit SourceLines(std::unique_ptr<Handle> h);
  std::unique_ptr<Handle> h_;
};

}  // namespace gri::exp::alloc
