// A profile in the report model, for the pprof renderer (pprof.h): samples by user stack,
// each frame resolved to its function, file and line, inlined frames included. Filled by the
// experiments that have stacks (gri alloc, gri sched); the JSON and text renderers skip it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gri::report {

struct ProfileFrame {
  std::string function;  // "main.work"
  std::string file;
  int64_t line = 0;
};

// One program counter: the frames inlined at it, innermost first, then the function that
// holds the code.
struct ProfileLocation {
  uint64_t address = 0;
  std::vector<ProfileFrame> frames;
};

struct ProfileSample {
  std::vector<ProfileLocation> stack;  // leaf first
  std::vector<int64_t> values;         // one per sample type
};

struct ValueType {
  std::string type;  // "samples", "alloc_space"
  std::string unit;  // "count", "bytes", "nanoseconds"
};

struct Profile {
  std::vector<ValueType> sample_types;
  ValueType period_type;
  int64_t period = 0;
  int64_t time_ns = 0;      // when the profile started (Unix time)
  int64_t duration_ns = 0;
  std::vector<ProfileSample> samples;
  std::vector<std::string> comments;
  // The profiled executable, pprof's one mapping (its "File:" line); the frames are already
  // resolved, so pprof does not open it. Empty: no mapping.
  std::string binary;
};

}  // namespace gri::report
