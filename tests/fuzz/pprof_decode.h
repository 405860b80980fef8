// A reader of gzip-compressed profile.proto for the tests of the pprof renderer
// (tests/unit/pprof_test.cpp, tests/fuzz/parsers_fuzz.cpp). Written apart from the encoder
// (user/report/pprof.cpp) from the wire format and profile.proto's field numbers, so that
// the two do not share a mistake; it reads packed and unpacked repeated scalars alike and
// refuses anything malformed.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "report/profile.h"

namespace gri::test::pprof {

// gunzip; nullopt when `gz` is not one whole gzip stream.
inline std::optional<std::string> gunzip(std::string_view gz) {
  if (gz.size() < 18 || static_cast<uint8_t>(gz[0]) != 0x1f || static_cast<uint8_t>(gz[1]) != 0x8b)
    return std::nullopt;
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) return std::nullopt;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  zs.avail_in = static_cast<uInt>(gz.size());
  std::string out;
  char buf[16384];
  int rc;
  do {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof(buf);
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) break;
    out.append(buf, sizeof(buf) - zs.avail_out);
  } while (rc != Z_STREAM_END);
  bool whole = rc == Z_STREAM_END && zs.avail_in == 0;
  inflateEnd(&zs);
  if (!whole) return std::nullopt;
  return out;
}

// One field of a message on the wire.
struct WireField {
  uint32_t number = 0;
  uint32_t wire = 0;        // 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32
  uint64_t value = 0;       // varint, fixed64, fixed32
  std::string_view bytes;   // length-delimited
};

inline bool read_varint(std::string_view& in, uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (in.empty()) return false;
    auto b = static_cast<uint8_t>(in.front());
    in.remove_prefix(1);
    if (shift == 63 && b > 1) return false;
    *v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return true;
  }
  return false;
}

inline std::optional<std::vector<WireField>> read_message(std::string_view in) {
  std::vector<WireField> out;
  while (!in.empty()) {
    uint64_t key;
    if (!read_varint(in, &key)) return std::nullopt;
    WireField f;
    f.number = static_cast<uint32_t>(key >> 3);
    f.wire = static_cast<uint32_t>(key & 7);
    if (f.number == 0 || (key >> 3) > 0x1fffffff) return std::nullopt;
    switch (f.wire) {
      case 0:
        if (!read_varint(in, &f.value)) return std::nullopt;
        break;
      case 1:
      case 5: {
        size_t n = f.wire == 1 ? 8 : 4;
        if (in.size() < n) return std::nullopt;
        for (size_t i = 0; i < n; i++) {
          f.value |= static_cast<uint64_t>(static_cast<uint8_t>(in[i])) << (8 * i);
        }
        in.remove_prefix(n);
        break;
      }
      case 2: {
        uint64_t n;
        if (!read_varint(in, &n) || n > in.size()) return std::nullopt;
        f.bytes = in.substr(0, n);
        in.remove_prefix(n);
        break;
      }
      default: return std::nullopt;
    }
    out.push_back(f);
  }
  return out;
}

// A repeated scalar field's values, packed (wire 2) or one by one (wire 0).
inline bool append_scalars(const WireField& f, std::vector<uint64_t>* out) {
  if (f.wire == 0) {
    out->push_back(f.value);
    return true;
  }
  if (f.wire != 2) return false;
  std::string_view in = f.bytes;
  while (!in.empty()) {
    uint64_t v;
    if (!read_varint(in, &v)) return false;
    out->push_back(v);
  }
  return true;
}

struct Line {
  uint64_t function_id = 0;
  int64_t line = 0;
};
struct Location {
  uint64_t id = 0, mapping_id = 0, address = 0;
  std::vector<Line> lines;
};
struct Function {
  uint64_t id = 0;
  int64_t name = 0, system_name = 0, filename = 0;
};
struct Mapping {
  uint64_t id = 0, memory_start = 0, memory_limit = 0, file_offset = 0;
  int64_t filename = 0, build_id = 0;
  bool has_functions = false, has_filenames = false, has_line_numbers = false,
       has_inline_frames = false;
};
struct Sample {
  std::vector<uint64_t> location_ids;
  std::vector<int64_t> values;
};
struct ValueType {
  int64_t type = 0, unit = 0;
};

// profile.proto as it came, ids and string indexes unresolved.
struct Decoded {
  std::vector<ValueType> sample_types;
  std::vector<Sample> samples;
  std::vector<Mapping> mappings;
  std::vector<Location> locations;
  std::vector<Function> functions;
  std::vector<std::string> strings;
  int64_t time_nanos = 0, duration_nanos = 0, period = 0;
  std::optional<ValueType> period_type;
  std::vector<int64_t> comments;
  std::set<uint32_t> unknown_fields;  // field numbers of Profile not read here
};

namespace detail {
inline bool varint_of(const WireField& f, uint64_t* v) {
  if (f.wire != 0) return false;
  *v = f.value;
  return true;
}
inline bool signed_of(const WireField& f, int64_t* v) {
  uint64_t u;
  if (!varint_of(f, &u)) return false;
  *v = static_cast<int64_t>(u);
  return true;
}
inline std::optional<ValueType> value_type(std::string_view bytes) {
  auto fs = read_message(bytes);
  if (!fs) return std::nullopt;
  ValueType v;
  for (const WireField& f : *fs) {
    if (f.number == 1 && !signed_of(f, &v.type)) return std::nullopt;
    if (f.number == 2 && !signed_of(f, &v.unit)) return std::nullopt;
  }
  return v;
}
}  // namespace detail

// The fields of a (gunzipped) Profile message; nullopt when it is malformed.
inline std::optional<Decoded> decode(std::string_view proto) {
  using detail::signed_of;
  using detail::varint_of;
  auto fields = read_message(proto);
  if (!fields) return std::nullopt;
  Decoded d;
  for (const WireField& f : *fields) {
    switch (f.number) {
      case 1: {  // sample_type
        if (f.wire != 2) return std::nullopt;
        auto v = detail::value_type(f.bytes);
        if (!v) return std::nullopt;
        d.sample_types.push_back(*v);
        break;
      }
      case 2: {  // sample
        auto fs = f.wire == 2 ? read_message(f.bytes) : std::nullopt;
        if (!fs) return std::nullopt;
        Sample s;
        std::vector<uint64_t> values;
        for (const WireField& g : *fs) {
          if (g.number == 1 && !append_scalars(g, &s.location_ids)) return std::nullopt;
          if (g.number == 2 && !append_scalars(g, &values)) return std::nullopt;
        }
        for (uint64_t v : values) s.values.push_back(static_cast<int64_t>(v));
        d.samples.push_back(std::move(s));
        break;
      }
      case 3: {  // mapping
        auto fs = f.wire == 2 ? read_message(f.bytes) : std::nullopt;
        if (!fs) return std::nullopt;
        Mapping m;
        for (const WireField& g : *fs) {
          uint64_t v;
          if (g.number >= 1 && g.number <= 10 && !varint_of(g, &v)) return std::nullopt;
          switch (g.number) {
            case 1: m.id = v; break;
            case 2: m.memory_start = v; break;
            case 3: m.memory_limit = v; break;
            case 4: m.file_offset = v; break;
            case 5: m.filename = static_cast<int64_t>(v); break;
            case 6: m.build_id = static_cast<int64_t>(v); break;
            case 7: m.has_functions = v != 0; break;
            case 8: m.has_filenames = v != 0; break;
            case 9: m.has_line_numbers = v != 0; break;
            case 10: m.has_inline_frames = v != 0; break;
            default: break;
          }
        }
        d.mappings.push_back(m);
        break;
      }
      case 4: {  // location
        auto fs = f.wire == 2 ? read_message(f.bytes) : std::nullopt;
        if (!fs) return std::nullopt;
        Location l;
        for (const WireField& g : *fs) {
          if (g.number == 1 && !varint_of(g, &l.id)) return std::nullopt;
          if (g.number == 2 && !varint_of(g, &l.mapping_id)) return std::nullopt;
          if (g.number == 3 && !varint_of(g, &l.address)) return std::nullopt;
          if (g.number == 4) {
            auto ls = g.wire == 2 ? read_message(g.bytes) : std::nullopt;
            if (!ls) return std::nullopt;
            Line line;
            for (const WireField& h : *ls) {
              if (h.number == 1 && !varint_of(h, &line.function_id)) return std::nullopt;
              if (h.number == 2 && !signed_of(h, &line.line)) return std::nullopt;
            }
            l.lines.push_back(line);
          }
        }
        d.locations.push_back(std::move(l));
        break;
      }
      case 5: {  // function
        auto fs = f.wire == 2 ? read_message(f.bytes) : std::nullopt;
        if (!fs) return std::nullopt;
        Function fn;
        for (const WireField& g : *fs) {
          if (g.number == 1 && !varint_of(g, &fn.id)) return std::nullopt;
          if (g.number == 2 && !signed_of(g, &fn.name)) return std::nullopt;
          if (g.number == 3 && !signed_of(g, &fn.system_name)) return std::nullopt;
          if (g.number == 4 && !signed_of(g, &fn.filename)) return std::nullopt;
        }
        d.functions.push_back(fn);
        break;
      }
      case 6:  // string_table
        if (f.wire != 2) return std::nullopt;
        d.strings.emplace_back(f.bytes);
        break;
      case 9:
        if (!signed_of(f, &d.time_nanos)) return std::nullopt;
        break;
      case 10:
        if (!signed_of(f, &d.duration_nanos)) return std::nullopt;
        break;
      case 11: {
        auto v = f.wire == 2 ? detail::value_type(f.bytes) : std::nullopt;
        if (!v) return std::nullopt;
        d.period_type = *v;
        break;
      }
      case 12:
        if (!signed_of(f, &d.period)) return std::nullopt;
        break;
      case 13: {
        std::vector<uint64_t> cs;
        if (!append_scalars(f, &cs)) return std::nullopt;
        for (uint64_t c : cs) d.comments.push_back(static_cast<int64_t>(c));
        break;
      }
      default: d.unknown_fields.insert(f.number);
    }
  }
  return d;
}

// The decoded profile back in the report's model, ids and string indexes resolved; nullopt
// when an id or index points nowhere, ids repeat or are 0, or string_table[0] is not "".
inline std::optional<report::Profile> to_model(const Decoded& d) {
  if (d.strings.empty() || !d.strings[0].empty()) return std::nullopt;
  auto str = [&](int64_t i) -> const std::string* {
    if (i < 0 || static_cast<uint64_t>(i) >= d.strings.size()) return nullptr;
    return &d.strings[static_cast<size_t>(i)];
  };
  auto vt = [&](const ValueType& v) -> std::optional<report::ValueType> {
    const std::string *t = str(v.type), *u = str(v.unit);
    if (!t || !u) return std::nullopt;
    return report::ValueType{*t, *u};
  };
  report::Profile p;
  for (const ValueType& v : d.sample_types) {
    auto t = vt(v);
    if (!t) return std::nullopt;
    p.sample_types.push_back(*t);
  }
  if (d.period_type) {
    auto t = vt(*d.period_type);
    if (!t) return std::nullopt;
    p.period_type = *t;
  }
  // At most one mapping here: the binary's, over every location.
  if (d.mappings.size() > 1) return std::nullopt;
  std::set<uint64_t> mapping_ids = {0};
  for (const Mapping& m : d.mappings) {
    const std::string* file = str(m.filename);
    if (m.id == 0 || !file || !str(m.build_id)) return std::nullopt;
    mapping_ids.insert(m.id);
    p.binary = *file;
  }
  std::map<uint64_t, report::ProfileFrame> functions;  // id -> frame without its line
  for (const Function& f : d.functions) {
    const std::string *name = str(f.name), *system = str(f.system_name), *file = str(f.filename);
    if (f.id == 0 || !name || !system || !file || functions.count(f.id)) return std::nullopt;
    functions[f.id] = {*name, *file, 0};
  }
  std::map<uint64_t, report::ProfileLocation> locations;
  for (const Location& l : d.locations) {
    if (l.id == 0 || locations.count(l.id) || !mapping_ids.count(l.mapping_id)) return std::nullopt;
    for (const Mapping& m : d.mappings) {
      if (l.mapping_id == m.id && (l.address < m.memory_start || l.address >= m.memory_limit) &&
          m.memory_limit != UINT64_MAX)
        return std::nullopt;
    }
    report::ProfileLocation& out = locations[l.id];
    out.address = l.address;
    for (const Line& line : l.lines) {
      auto it = functions.find(line.function_id);
      if (it == functions.end()) return std::nullopt;
      report::ProfileFrame f = it->second;
      f.line = line.line;
      out.frames.push_back(std::move(f));
    }
  }
  for (const Sample& s : d.samples) {
    if (s.values.size() != d.sample_types.size()) return std::nullopt;
    report::ProfileSample out;
    out.values = s.values;
    for (uint64_t id : s.location_ids) {
      auto it = locations.find(id);
      if (it == locations.end()) return std::nullopt;
      out.stack.push_back(it->second);
    }
    p.samples.push_back(std::move(out));
  }
  p.period = d.period;
  p.time_ns = d.time_nanos;
  p.duration_ns = d.duration_nanos;
  for (int64_t c : d.comments) {
    const std::string* s = str(c);
    if (!s) return std::nullopt;
    p.comments.push_back(*s);
  }
  return p;
}

// Field by field, for the tests' comparisons.
inline bool same(const report::Profile& a, const report::Profile& b) {
  auto vt = [](const report::ValueType& x, const report::ValueType& y) {
    return x.type == y.type && x.unit == y.unit;
  };
  auto frame = [](const report::ProfileFrame& x, const report::ProfileFrame& y) {
    return x.function == y.function && x.file == y.file && x.line == y.line;
  };
  auto loc = [&](const report::ProfileLocation& x, const report::ProfileLocation& y) {
    if (x.address != y.address || x.frames.size() != y.frames.size()) return false;
    for (size_t i = 0; i < x.frames.size(); i++)
      if (!frame(x.frames[i], y.frames[i])) return false;
    return true;
  };
  if (a.sample_types.size() != b.sample_types.size() || a.samples.size() != b.samples.size() ||
      !vt(a.period_type, b.period_type) || a.period != b.period || a.time_ns != b.time_ns ||
      a.duration_ns != b.duration_ns || a.comments != b.comments || a.binary != b.binary)
    return false;
  for (size_t i = 0; i < a.sample_types.size(); i++)
    if (!vt(a.sample_types[i], b.sample_types[i])) return false;
  for (size_t i = 0; i < a.samples.size(); i++) {
    const auto &x = a.samples[i], &y = b.samples[i];
    if (x.values != y.values || x.stack.size() != y.stack.size()) return false;
    for (size_t j = 0; j < x.stack.size(); j++)
      if (!loc(x.stack[j], y.stack[j])) return false;
  }
  return true;
}

}  // namespace gri::test::pprof
