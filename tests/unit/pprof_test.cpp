// The pprof renderer (user/report/pprof.cpp) read back by a decoder of its own
// (tests/fuzz/pprof_decode.h): gzip, every field of profile.proto it writes, the string,
// function and location tables deduplicated, and the errors for a report without stacks.
#include "report/pprof.h"

#include <gtest/gtest.h>

#include <set>

#include "../fuzz/pprof_decode.h"

namespace {

using namespace gri::report;
namespace pp = gri::test::pprof;

Profile sample_profile() {
  Profile p;
  p.sample_types = {{"samples", "count"}, {"alloc_space", "bytes"}};
  p.period_type = {"cpu", "nanoseconds"};
  p.period = 1003009;
  p.time_ns = 1'765'000'000'123'456'789;
  p.duration_ns = 2'500'000'000;
  p.comments = {"first comment", "second"};
  p.binary = "/build/go-probes/go1.26/alloc";
  // main.inner inlined into main.outer at one pc; main.outer called from main.main.
  ProfileLocation leaf{0x401000, {{"runtime.mallocgc", "/go/src/runtime/malloc.go", 1000}}};
  ProfileLocation inl{0x402345,
                      {{"main.inner", "/src/alloc/main.go", 12},
                       {"main.outer", "/src/alloc/main.go", 30}}};
  ProfileLocation top{0x403000, {{"main.main", "/src/alloc/main.go", 50}}};
  ProfileLocation other{0x402400, {{"main.outer", "/src/alloc/main.go", 31}}};
  p.samples = {{{leaf, inl, top}, {5, 4096}},
               {{leaf, other, top}, {7, 0}},
               {{leaf, inl, top}, {1, 8192}},  // the same stack again: a sample of its own
               {{}, {2, 16}}};                 // no stack at all
  return p;
}

pp::Decoded decode_report(const Report& r, std::string* raw = nullptr) {
  auto gz = render_pprof(r);
  EXPECT_TRUE(gz) << gz.error().message;
  if (!gz) return {};
  auto proto = pp::gunzip(*gz);
  EXPECT_TRUE(proto) << "not a gzip stream";
  if (!proto) return {};
  if (raw) *raw = *proto;
  auto d = pp::decode(*proto);
  EXPECT_TRUE(d) << "not a valid profile.proto";
  return d ? *d : pp::Decoded{};
}

TEST(Pprof, IsGzip) {
  Report r;
  r.profile = sample_profile();
  auto gz = render_pprof(r);
  ASSERT_TRUE(gz) << gz.error().message;
  ASSERT_GE(gz->size(), 18u);
  EXPECT_EQ(static_cast<uint8_t>((*gz)[0]), 0x1f);
  EXPECT_EQ(static_cast<uint8_t>((*gz)[1]), 0x8b);
  EXPECT_EQ((*gz)[2], 8);  // deflate
}

TEST(Pprof, EveryFieldAsWritten) {
  Report r;
  r.profile = sample_profile();
  std::string raw;
  pp::Decoded d = decode_report(r, &raw);
  const auto& s = d.strings;
  ASSERT_FALSE(s.empty());
  EXPECT_EQ(s[0], "");
  // Each string once.
  EXPECT_EQ(std::set<std::string>(s.begin(), s.end()).size(), s.size());
  auto at = [&](int64_t i) { return i >= 0 && static_cast<size_t>(i) < s.size() ? s[i] : "<bad>"; };

  ASSERT_EQ(d.sample_types.size(), 2u);
  EXPECT_EQ(at(d.sample_types[0].type), "samples");
  EXPECT_EQ(at(d.sample_types[0].unit), "count");
  EXPECT_EQ(at(d.sample_types[1].type), "alloc_space");
  EXPECT_EQ(at(d.sample_types[1].unit), "bytes");
  ASSERT_TRUE(d.period_type);
  EXPECT_EQ(at(d.period_type->type), "cpu");
  EXPECT_EQ(at(d.period_type->unit), "nanoseconds");
  EXPECT_EQ(d.period, 1003009);
  EXPECT_EQ(d.time_nanos, 1'765'000'000'123'456'789);
  EXPECT_EQ(d.duration_nanos, 2'500'000'000);
  ASSERT_EQ(d.comments.size(), 2u);
  EXPECT_EQ(at(d.comments[0]), "first comment");
  EXPECT_EQ(at(d.comments[1]), "second");
  // One mapping, the binary's, over every address, flagged as symbolized so that pprof
  // keeps gri's frames.
  ASSERT_EQ(d.mappings.size(), 1u);
  const pp::Mapping& m = d.mappings[0];
  EXPECT_EQ(m.id, 1u);
  EXPECT_EQ(at(m.filename), "/build/go-probes/go1.26/alloc");
  EXPECT_EQ(m.memory_start, 0u);
  EXPECT_EQ(m.memory_limit, 0x403001u);
  EXPECT_EQ(m.file_offset, 0u);
  EXPECT_EQ(m.build_id, 0);
  EXPECT_TRUE(m.has_functions && m.has_filenames && m.has_line_numbers && m.has_inline_frames);
  EXPECT_TRUE(d.unknown_fields.empty());

  // Functions: one per (name, file), ids 1..n, system_name = name.
  ASSERT_EQ(d.functions.size(), 4u);
  std::set<std::string> names;
  for (size_t i = 0; i < d.functions.size(); i++) {
    const pp::Function& f = d.functions[i];
    EXPECT_EQ(f.id, i + 1);
    EXPECT_EQ(f.name, f.system_name);
    names.insert(at(f.name));
    if (at(f.name) == "runtime.mallocgc") {
      EXPECT_EQ(at(f.filename), "/go/src/runtime/malloc.go");
    } else {
      EXPECT_EQ(at(f.filename), "/src/alloc/main.go");
    }
  }
  EXPECT_EQ(names, (std::set<std::string>{"runtime.mallocgc", "main.inner", "main.outer",
                                          "main.main"}));
  auto fname = [&](uint64_t id) {
    return id >= 1 && id <= d.functions.size() ? at(d.functions[id - 1].name) : "<bad>";
  };

  // Locations: four distinct, ids 1..n, lines innermost first.
  ASSERT_EQ(d.locations.size(), 4u);
  std::map<uint64_t, const pp::Location*> by_id;
  for (size_t i = 0; i < d.locations.size(); i++) {
    EXPECT_EQ(d.locations[i].id, i + 1);
    EXPECT_EQ(d.locations[i].mapping_id, 1u);
    by_id[d.locations[i].id] = &d.locations[i];
  }
  ASSERT_EQ(d.samples.size(), 4u);
  const pp::Sample& s0 = d.samples[0];
  ASSERT_EQ(s0.location_ids.size(), 3u);
  EXPECT_EQ(s0.values, (std::vector<int64_t>{5, 4096}));
  const pp::Location* inl = by_id.at(s0.location_ids[1]);
  EXPECT_EQ(inl->address, 0x402345u);
  ASSERT_EQ(inl->lines.size(), 2u);
  EXPECT_EQ(fname(inl->lines[0].function_id), "main.inner");
  EXPECT_EQ(inl->lines[0].line, 12);
  EXPECT_EQ(fname(inl->lines[1].function_id), "main.outer");
  EXPECT_EQ(inl->lines[1].line, 30);
  const pp::Location* leaf = by_id.at(s0.location_ids[0]);
  EXPECT_EQ(leaf->address, 0x401000u);
  ASSERT_EQ(leaf->lines.size(), 1u);
  EXPECT_EQ(fname(leaf->lines[0].function_id), "runtime.mallocgc");
  EXPECT_EQ(leaf->lines[0].line, 1000);
  // The same stack, the same ids.
  EXPECT_EQ(d.samples[2].location_ids, s0.location_ids);
  EXPECT_EQ(d.samples[2].values, (std::vector<int64_t>{1, 8192}));
  // The shared leaf and root, a different middle.
  ASSERT_EQ(d.samples[1].location_ids.size(), 3u);
  EXPECT_EQ(d.samples[1].location_ids[0], s0.location_ids[0]);
  EXPECT_NE(d.samples[1].location_ids[1], s0.location_ids[1]);
  EXPECT_EQ(d.samples[1].location_ids[2], s0.location_ids[2]);
  EXPECT_EQ(by_id.at(d.samples[1].location_ids[1])->lines[0].line, 31);
  EXPECT_TRUE(d.samples[3].location_ids.empty());
  EXPECT_EQ(d.samples[3].values, (std::vector<int64_t>{2, 16}));

  // Sample fields are packed (wire type 2), as profile.proto's proto3 repeated scalars are.
  auto top = pp::read_message(raw);
  ASSERT_TRUE(top);
  bool seen = false;
  for (const pp::WireField& f : *top) {
    if (f.number != 2) continue;
    auto fs = pp::read_message(f.bytes);
    ASSERT_TRUE(fs);
    for (const pp::WireField& g : *fs) {
      EXPECT_EQ(g.wire, 2u) << "sample field " << g.number;
      seen = true;
    }
  }
  EXPECT_TRUE(seen);

  // And the whole model back.
  auto back = pp::to_model(d);
  ASSERT_TRUE(back);
  EXPECT_TRUE(pp::same(*back, *r.profile));
}

TEST(Pprof, ExtremeValuesRoundTrip) {
  Report r;
  Profile p;
  p.sample_types = {{"delay", "nanoseconds"}};
  p.samples = {{{{~0ull, {{"f", "", -1}}}, {0, {{"", "", 0}}}}, {INT64_MIN}},
               {{{1ull << 63, {}}}, {INT64_MAX}},
               {{}, {-1}}};
  r.profile = p;
  pp::Decoded d = decode_report(r);
  auto back = pp::to_model(d);
  ASSERT_TRUE(back);
  EXPECT_TRUE(pp::same(*back, p));
  // A zero period type, period, time: left out; no binary, no mapping.
  EXPECT_FALSE(d.period_type);
  EXPECT_TRUE(d.mappings.empty());
  for (const pp::Location& l : d.locations) EXPECT_EQ(l.mapping_id, 0u);
  EXPECT_EQ(d.period, 0);
}

TEST(Pprof, NoStacksIsAnError) {
  Report r;
  r.experiment = "EXP-04";
  auto none = render_pprof(r);
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message.find("EXP-04"), std::string::npos) << none.error().message;
  r.profile = Profile{};
  r.profile->sample_types = {{"samples", "count"}};
  auto empty = render_pprof(r);
  ASSERT_FALSE(empty);
  EXPECT_NE(empty.error().message.find("no stacks"), std::string::npos) << empty.error().message;
  // Values that do not fit the sample types.
  r.profile->samples = {{{}, {1, 2}}};
  EXPECT_FALSE(render_pprof(r));
  r.profile->sample_types.clear();
  r.profile->samples = {{{}, {}}};
  EXPECT_FALSE(render_pprof(r));
}

TEST(Pprof, DecoderRefusesBrokenInput) {
  // The decoder must be able to fail, or the tests above prove nothing.
  EXPECT_FALSE(pp::gunzip("not gzip at all, not at all"));
  EXPECT_FALSE(pp::decode(std::string("\x0a\x05\x08", 3)));  // length past the end
  EXPECT_FALSE(pp::decode(std::string("\x08", 1)));          // varint cut short
  pp::Decoded d;
  d.strings = {"x"};  // string_table[0] must be ""
  EXPECT_FALSE(pp::to_model(d));
  d.strings = {""};
  d.samples = {{{7}, {}}};  // a location that is not there
  EXPECT_FALSE(pp::to_model(d));
}

}  // namespace
