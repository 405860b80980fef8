#include "report/pprof.h"

#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace gri::report {

namespace {

// profile.proto (github.com/google/pprof, proto/profile.proto): the field numbers used here.
namespace field {
// Profile
constexpr int kSampleType = 1, kSample = 2, kMapping = 3, kLocation = 4, kFunction = 5,
              kStringTable = 6, kTimeNanos = 9, kDurationNanos = 10, kPeriodType = 11,
              kPeriod = 12, kComment = 13;
// ValueType
constexpr int kType = 1, kUnit = 2;
// Sample
constexpr int kLocationId = 1, kValue = 2;
// Mapping
constexpr int kMemoryLimit = 3, kMappingFilename = 5, kHasFunctions = 7, kHasFilenames = 8,
              kHasLineNumbers = 9, kHasInlineFrames = 10;
// Location
constexpr int kId = 1, kMappingId = 2, kAddress = 3, kLine = 4;
// Line
constexpr int kFunctionId = 1, kLineNumber = 2;
// Function
constexpr int kName = 2, kSystemName = 3, kFilename = 4;
}  // namespace field

constexpr int kVarint = 0, kLengthDelimited = 2;

// One protobuf message being written: fields appended in order.
class Message {
 public:
  void varint_field(int number, uint64_t v) {
    tag(number, kVarint);
    varint(v);
  }
  // An optional scalar: proto3 leaves a zero out.
  void nonzero(int number, uint64_t v) {
    if (v) varint_field(number, v);
  }
  void bytes_field(int number, std::string_view bytes) {
    tag(number, kLengthDelimited);
    varint(bytes.size());
    out_.append(bytes);
  }
  void message_field(int number, const Message& m) { bytes_field(number, m.out_); }
  // A packed repeated varint field (int64 and uint64 alike: negatives as two's complement).
  void packed(int number, const std::vector<uint64_t>& vs) {
    if (vs.empty()) return;
    Message body;
    for (uint64_t v : vs) body.varint(v);
    bytes_field(number, body.out_);
  }
  const std::string& bytes() const { return out_; }

 private:
  void tag(int number, int wire) { varint(static_cast<uint64_t>(number) << 3 | wire); }
  void varint(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  std::string out_;
};

// The deduplicated tables of a profile: strings, functions, locations.
class Tables {
 public:
  // mapping_id: of every location (0: none).
  explicit Tables(uint64_t mapping_id) : mapping_id_(mapping_id) {
    string_id("");  // string_table[0] is "" (profile.proto)
  }

  uint64_t string_id(const std::string& s) {
    auto [it, added] = strings_.try_emplace(s, order_.size());
    if (added) order_.push_back(s);
    return it->second;
  }
  uint64_t function_id(const ProfileFrame& f) {
    auto key = std::make_pair(f.function, f.file);
    auto it = functions_.find(key);
    if (it != functions_.end()) return it->second;
    uint64_t id = functions_.size() + 1;
    functions_.emplace(key, id);
    Message m;
    m.varint_field(field::kId, id);
    uint64_t name = string_id(f.function);
    m.nonzero(field::kName, name);
    m.nonzero(field::kSystemName, name);
    m.nonzero(field::kFilename, string_id(f.file));
    function_msgs_.push_back(std::move(m));
    return id;
  }
  uint64_t location_id(const ProfileLocation& l) {
    std::vector<std::pair<uint64_t, int64_t>> lines;
    for (const ProfileFrame& f : l.frames) lines.emplace_back(function_id(f), f.line);
    auto key = std::make_pair(l.address, lines);
    auto it = locations_.find(key);
    if (it != locations_.end()) return it->second;
    uint64_t id = locations_.size() + 1;
    locations_.emplace(std::move(key), id);
    Message m;
    m.varint_field(field::kId, id);
    m.nonzero(field::kMappingId, mapping_id_);
    m.nonzero(field::kAddress, l.address);
    highest_ = std::max(highest_, l.address);
    for (const auto& [fid, line] : lines) {
      Message ln;
      ln.varint_field(field::kFunctionId, fid);
      ln.nonzero(field::kLineNumber, static_cast<uint64_t>(line));
      m.message_field(field::kLine, ln);
    }
    location_msgs_.push_back(std::move(m));
    return id;
  }

  uint64_t highest_address() const { return highest_; }

  void write(Message& profile) const {
    for (const Message& m : location_msgs_) profile.message_field(field::kLocation, m);
    for (const Message& m : function_msgs_) profile.message_field(field::kFunction, m);
    for (const std::string& s : order_) profile.bytes_field(field::kStringTable, s);
  }

 private:
  std::map<std::string, uint64_t> strings_;
  std::vector<std::string> order_;
  std::map<std::pair<std::string, std::string>, uint64_t> functions_;
  std::vector<Message> function_msgs_;
  std::map<std::pair<uint64_t, std::vector<std::pair<uint64_t, int64_t>>>, uint64_t> locations_;
  std::vector<Message> location_msgs_;
  uint64_t mapping_id_ = 0;
  uint64_t highest_ = 0;
};

Message value_type(Tables& t, const ValueType& v) {
  Message m;
  m.nonzero(field::kType, t.string_id(v.type));
  m.nonzero(field::kUnit, t.string_id(v.unit));
  return m;
}

Result<std::string> gzip(const std::string& in) {
  z_stream zs{};
  // windowBits 15 + 16: a gzip header and trailer instead of zlib's.
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    return make_error("cannot compress the profile: deflateInit2 failed");
  }
  std::string out(deflateBound(&zs, in.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return make_error("cannot compress the profile: deflate gave {}", rc);
  return out;
}

}  // namespace

Result<std::string> render_pprof(const Report& r) {
  if (!r.profile) return make_error("--pprof: the {} report has no stacks to write", r.experiment);
  const Profile& p = *r.profile;
  if (p.samples.empty()) {
    return make_error("--pprof: no stacks were recorded in the {} report, so there is no profile "
                      "to write",
                      r.experiment);
  }
  if (p.sample_types.empty()) {
    return make_error("--pprof: the {} report's profile has no sample types", r.experiment);
  }
  Tables t(p.binary.empty() ? 0 : 1);
  Message out;
  for (const ValueType& v : p.sample_types) out.message_field(field::kSampleType, value_type(t, v));
  for (const ProfileSample& s : p.samples) {
    if (s.values.size() != p.sample_types.size()) {
      return make_error("--pprof: a sample of the {} report has {} values for {} sample types",
                        r.experiment, s.values.size(), p.sample_types.size());
    }
    std::vector<uint64_t> ids, values;
    for (const ProfileLocation& l : s.stack) ids.push_back(t.location_id(l));
    for (int64_t v : s.values) values.push_back(static_cast<uint64_t>(v));
    Message m;
    m.packed(field::kLocationId, ids);
    m.packed(field::kValue, values);
    out.message_field(field::kSample, m);
  }
  Message period_type = value_type(t, p.period_type);
  std::vector<uint64_t> comments;
  for (const std::string& c : p.comments) comments.push_back(t.string_id(c));
  if (!p.binary.empty()) {
    // One mapping over every address written, flagged as symbolized: pprof takes the
    // functions, files, lines and inlined frames as they are and names the binary.
    Message m;
    m.varint_field(field::kId, 1);
    uint64_t limit = t.highest_address();
    m.varint_field(field::kMemoryLimit, limit == UINT64_MAX ? limit : limit + 1);
    m.nonzero(field::kMappingFilename, t.string_id(p.binary));
    for (int f : {field::kHasFunctions, field::kHasFilenames, field::kHasLineNumbers,
                  field::kHasInlineFrames}) {
      m.varint_field(f, 1);
    }
    out.message_field(field::kMapping, m);
  }
  t.write(out);
  out.nonzero(field::kTimeNanos, static_cast<uint64_t>(p.time_ns));
  out.nonzero(field::kDurationNanos, static_cast<uint64_t>(p.duration_ns));
  if (!period_type.bytes().empty()) out.message_field(field::kPeriodType, period_type);
  out.nonzero(field::kPeriod, static_cast<uint64_t>(p.period));
  out.packed(field::kComment, comments);
  return gzip(out.bytes());
}

}  // namespace gri::report
