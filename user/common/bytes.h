// Typed loads from a copy of the target's memory (little-endian, as the target wrote it).
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

namespace gri {

// The T at byte `at` of `buf`, or T{} when it does not fit (a short read).
template <typename T>
T load_at(const std::vector<uint8_t>& buf, uint64_t at) {
  T v{};
  if (at + sizeof(T) <= buf.size()) std::memcpy(&v, buf.data() + at, sizeof(T));
  return v;
}

}  // namespace gri
