// The pprof renderer under libFuzzer (dispatched from parsers_fuzz.cpp): a profile built
// from the input's bytes (sample types, stacks drawn from a small pool of locations and
// functions so that the tables' deduplication is exercised, inlined frames, any int64
// values and addresses) is rendered, gunzipped and decoded by the tests' own reader
// (pprof_decode.h), and must come back field for field.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdio>
#include <cstdlib>
#include <set>
#include <utility>

#include "pprof_decode.h"
#include "report/pprof.h"

namespace {

using namespace gri::report;

std::string pick_string(FuzzedDataProvider& in, const std::vector<std::string>& pool) {
  if (in.ConsumeBool()) return pool[in.ConsumeIntegralInRange<size_t>(0, pool.size() - 1)];
  return in.ConsumeRandomLengthString(24);
}

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "pprof round trip: %s\n", what);
  std::abort();
}

}  // namespace

int fuzz_pprof(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  const std::vector<std::string> pool = {"", "main.main", "runtime.mallocgc", "main.go",
                                         "/go/src/runtime/malloc.go", "count", "bytes"};
  Profile p;
  size_t types = in.ConsumeIntegralInRange<size_t>(0, 4);
  for (size_t i = 0; i < types; i++) {
    p.sample_types.push_back({pick_string(in, pool), pick_string(in, pool)});
  }
  p.period_type = {pick_string(in, pool), pick_string(in, pool)};
  p.period = in.ConsumeIntegral<int64_t>();
  p.time_ns = in.ConsumeIntegral<int64_t>();
  p.duration_ns = in.ConsumeIntegral<int64_t>();
  size_t comments = in.ConsumeIntegralInRange<size_t>(0, 3);
  for (size_t i = 0; i < comments; i++) p.comments.push_back(pick_string(in, pool));
  p.binary = pick_string(in, pool);

  std::vector<ProfileFrame> frames(in.ConsumeIntegralInRange<size_t>(1, 8));
  for (ProfileFrame& f : frames) {
    f.function = pick_string(in, pool);
    f.file = pick_string(in, pool);
    f.line = in.ConsumeIntegral<int64_t>();
  }
  std::vector<ProfileLocation> locations(in.ConsumeIntegralInRange<size_t>(1, 8));
  for (ProfileLocation& l : locations) {
    l.address = in.ConsumeBool() ? in.ConsumeIntegralInRange<uint64_t>(0, 4)
                                 : in.ConsumeIntegral<uint64_t>();
    size_t n = in.ConsumeIntegralInRange<size_t>(0, 3);
    for (size_t i = 0; i < n; i++) {
      l.frames.push_back(frames[in.ConsumeIntegralInRange<size_t>(0, frames.size() - 1)]);
    }
  }
  size_t samples = in.ConsumeIntegralInRange<size_t>(0, 16);
  for (size_t i = 0; i < samples && in.remaining_bytes() > 0; i++) {
    ProfileSample s;
    size_t depth = in.ConsumeIntegralInRange<size_t>(0, 48);
    for (size_t j = 0; j < depth; j++) {
      s.stack.push_back(locations[in.ConsumeIntegralInRange<size_t>(0, locations.size() - 1)]);
    }
    for (size_t j = 0; j < types; j++) s.values.push_back(in.ConsumeIntegral<int64_t>());
    p.samples.push_back(std::move(s));
  }

  Report r;
  r.experiment = "fuzz";
  r.profile = p;
  auto gz = render_pprof(r);
  if (!gz) {
    // The only refusals: nothing to write.
    if (!p.samples.empty() && !p.sample_types.empty()) fail(gz.error().message.c_str());
    return 0;
  }
  if (p.samples.empty() || p.sample_types.empty()) fail("rendered a profile without samples");
  auto proto = gri::test::pprof::gunzip(*gz);
  if (!proto) fail("not a gzip stream");
  auto decoded = gri::test::pprof::decode(*proto);
  if (!decoded) fail("not a valid profile.proto");
  if (decoded->strings.empty() || !decoded->strings[0].empty()) {
    fail("string_table[0] is not empty");
  }
  // Each string, function (name, file) and location once.
  const auto& d = *decoded;
  if (std::set<std::string>(d.strings.begin(), d.strings.end()).size() != d.strings.size())
    fail("a string is in the table twice");
  std::set<std::pair<int64_t, int64_t>> fns;
  for (const auto& f : d.functions) fns.insert({f.name, f.filename});
  if (fns.size() != d.functions.size()) fail("a function is in the table twice");
  std::set<std::pair<uint64_t, std::vector<std::pair<uint64_t, int64_t>>>> locs;
  for (const auto& l : d.locations) {
    std::vector<std::pair<uint64_t, int64_t>> lines;
    for (const auto& ln : l.lines) lines.emplace_back(ln.function_id, ln.line);
    locs.insert({l.address, lines});
  }
  if (locs.size() != d.locations.size()) fail("a location is in the table twice");
  auto back = gri::test::pprof::to_model(*decoded);
  if (!back) fail("ids or string indexes point nowhere");
  if (!gri::test::pprof::same(*back, p)) fail("the decoded profile differs");
  return 0;
}
