#include "exp/alloc/classify.h"

#include <cstring>

namespace gri::exp::alloc {

namespace {
constexpr uint64_t kMaxTinySize = 16;        // maxTinySize, malloc.go go1.19-1.27
constexpr uint64_t kMallocHeaderSize = 8;    // gc.MallocHeaderSize / mallocHeaderSize, 1.22+
constexpr uint64_t kMinSizeForHeader = 512;  // heapBitsInSpan: userSize <= 512, 1.22+
}  // namespace

MallocRules malloc_rules(std::string_view go_version) {
  // "go1.19.8" -> 19
  int minor = 0;
  if (go_version.starts_with("go1.")) {
    for (char c : go_version.substr(4)) {
      if (c < '0' || c > '9') break;
      minor = minor * 10 + (c - '0');
    }
  }
  return {minor >= 22};
}

Classified classify(const std::map<uint64_t, uint64_t>& sizes, const SizeClasses& classes,
                    MallocRules rules) {
  Classified out;
  for (const auto& [key, calls] : sizes) {
    uint64_t size = key >> 1;
    bool noscan = key & 1;
    if (size == 0) {
      out.zero += calls;
      continue;
    }
    if (noscan && size < kMaxTinySize) {
      out.tiny += calls;
      continue;
    }
    uint64_t slot = size;
    if (rules.malloc_header && !noscan && size > kMinSizeForHeader) slot += kMallocHeaderSize;
    uint32_t cls = slot <= classes.max_small() ? classes.class_of(slot) : 0;
    if (cls == 0) {
      out.large_objects += calls;
      out.large_bytes += size * calls;
      continue;
    }
    out.small[{cls, noscan}] += calls;
    out.small_requests[size] += calls;
  }
  return out;
}

bool is_runtime_function(std::string_view func) {
  return func.starts_with("runtime.") || func.starts_with("internal/runtime/");
}

bool is_allocator_function(std::string_view func) {
  return func.starts_with("runtime.mallocgc") || func == "runtime.(*mcache).refill" ||
         func == "runtime.(*mcache).nextFree" || func == "runtime.(*mcache).allocLarge";
}

std::optional<Frame> allocation_site(const std::vector<uint64_t>& frames,
                                     const Symbolize& symbolize) {
  bool in_allocator = false;
  for (size_t i = 0; i < frames.size(); i++) {
    // Every frame but the innermost is a return address: the call is the byte before it.
    for (Frame& f : symbolize(i == 0 ? frames[i] : frames[i] - 1)) {
      if (!in_allocator) {
        in_allocator = is_allocator_function(f.func);
        continue;
      }
      if (!f.func.empty() && !is_runtime_function(f.func)) return std::move(f);
    }
  }
  return std::nullopt;
}

bool lost_program_caller(const goelf::GoBinary& bin, uint64_t bias,
                         const std::vector<uint64_t>& frames) {
  if (frames.size() < 2 || bin.elf().arch() != goelf::Arch::kX86_64) return false;
  uint64_t ret = frames[1] - bias;
  auto call = bin.elf().read(ret - 5, 5);
  if (!call || call->size() != 5 || (*call)[0] != 0xe8) return false;
  int32_t rel;
  std::memcpy(&rel, call->data() + 1, sizeof(rel));
  const goelf::PclnFunction* called = bin.pclntab().at(ret + static_cast<int64_t>(rel));
  return called && called != bin.pclntab().at(frames[0] - bias) &&
         !is_runtime_function(called->name);
}

}  // namespace gri::exp::alloc
