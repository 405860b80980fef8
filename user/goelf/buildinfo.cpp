#include "goelf/buildinfo.h"

#include <elf.h>

#include <algorithm>
#include <cstring>
#include <optional>

namespace gri::goelf {
namespace {

// Go src/debug/buildinfo/buildinfo.go: buildInfoMagic, a 32-byte header, 16-byte aligned.
constexpr std::string_view kMagic{"\xff Go buildinf:", 14};
constexpr size_t kHeaderSize = 32;
constexpr size_t kAlign = 16;
constexpr uint8_t kFlagBigEndian = 0x1;
constexpr uint8_t kFlagInline = 0x2;
// No version or module info comes near this; a larger length is corrupt.
constexpr uint64_t kMaxString = 1 << 20;

uint64_t read_uint(std::span<const uint8_t> b, size_t n, bool big_endian) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) v |= uint64_t{b[i]} << (big_endian ? 8 * (n - 1 - i) : 8 * i);
  return v;
}

// encoding/binary.Uvarint; nullopt when truncated or over 64 bits.
std::optional<uint64_t> uvarint(std::span<const uint8_t> b, size_t& pos) {
  uint64_t v = 0;
  for (unsigned shift = 0, i = 0; pos < b.size() && i < 10; i++, shift += 7) {
    uint8_t c = b[pos++];
    if (i == 9 && c > 1) return std::nullopt;
    v |= uint64_t{c & 0x7fu} << shift;
    if (c < 0x80) return v;
  }
  return std::nullopt;
}

Result<std::string> inline_string(std::span<const uint8_t> b, size_t& pos, const char* what) {
  auto len = uvarint(b, pos);
  if (!len) return make_error("buildinfo: bad length of the {} string", what);
  if (*len > kMaxString || *len > b.size() - pos) {
    return make_error("buildinfo: {} string of {} bytes runs past the section's {} bytes", what,
                      *len, b.size());
  }
  std::string s(b.begin() + pos, b.begin() + pos + *len);
  pos += *len;
  return s;
}

// A Go string header {ptr, len} at addr, then its bytes (the pre-1.18 pointer format).
Result<std::string> pointer_string(const AddressReader& read, uint64_t addr, size_t ptr_size,
                                   bool big_endian, const char* what) {
  auto hdr = read(addr, 2 * ptr_size);
  if (!hdr) return make_error("buildinfo: {} string header: {}", what, hdr.error().message);
  if (hdr->size() < 2 * ptr_size) {
    return make_error("buildinfo: {} string header at {:#x} is truncated", what, addr);
  }
  uint64_t data = read_uint(*hdr, ptr_size, big_endian);
  uint64_t len = read_uint(std::span(*hdr).subspan(ptr_size), ptr_size, big_endian);
  if (len == 0) return std::string();
  if (len > kMaxString) return make_error("buildinfo: {} string length {} is corrupt", what, len);
  auto bytes = read(data, len);
  if (!bytes) return make_error("buildinfo: {} string: {}", what, bytes.error().message);
  if (bytes->size() != len) {
    return make_error("buildinfo: {} string at {:#x} is truncated", what, data);
  }
  return std::string(bytes->begin(), bytes->end());
}

void append_utf8(std::string& out, uint32_t r) {
  if (r < 0x80) {
    out += static_cast<char>(r);
  } else if (r < 0x800) {
    out += static_cast<char>(0xc0 | (r >> 6));
    out += static_cast<char>(0x80 | (r & 0x3f));
  } else if (r < 0x10000) {
    out += static_cast<char>(0xe0 | (r >> 12));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (r & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (r >> 18));
    out += static_cast<char>(0x80 | ((r >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (r & 0x3f));
  }
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The length of the Go-quoted string ("..." or `...`) that starts s (strconv.QuotedPrefix),
// or 0 when s does not start with one.
size_t quoted_prefix(std::string_view s) {
  if (s.empty()) return 0;
  if (s[0] == '`') {
    size_t end = s.find('`', 1);
    return end == std::string_view::npos ? 0 : end + 1;
  }
  if (s[0] != '"') return 0;
  for (size_t i = 1; i < s.size(); i++) {
    if (s[i] == '\n') return 0;
    if (s[i] == '\\') {
      i++;
    } else if (s[i] == '"') {
      return i + 1;
    }
  }
  return 0;
}

// strconv.Unquote for the "..." and `...` forms that strconv.Quote and build lines use.
std::optional<std::string> unquote(std::string_view s) {
  if (s.size() < 2 || s.front() != s.back()) return std::nullopt;
  std::string_view body = s.substr(1, s.size() - 2);
  std::string out;
  if (s.front() == '`') {
    if (body.find('`') != std::string_view::npos) return std::nullopt;
    for (char c : body) {
      if (c != '\r') out += c;  // strconv.Unquote drops carriage returns of raw strings
    }
    return out;
  }
  if (s.front() != '"') return std::nullopt;
  for (size_t i = 0; i < body.size(); i++) {
    char c = body[i];
    if (c == '"' || c == '\n') return std::nullopt;
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i >= body.size()) return std::nullopt;
    char e = body[i];
    constexpr std::string_view kEscapes = "abfnrtv\\\"";
    constexpr std::string_view kValues = "\a\b\f\n\r\t\v\\\"";
    if (size_t k = kEscapes.find(e); k != std::string_view::npos) {
      out += kValues[k];
      continue;
    }
    switch (e) {
      case 'x':
      case 'u':
      case 'U': {
        size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        if (i + n >= body.size()) return std::nullopt;
        uint32_t v = 0;
        for (size_t k = 1; k <= n; k++) {
          int d = hex_digit(body[i + k]);
          if (d < 0) return std::nullopt;
          v = v * 16 + static_cast<uint32_t>(d);
        }
        i += n;
        if (e == 'x') {
          out += static_cast<char>(v);
        } else {
          if (v > 0x10ffff || (v >= 0xd800 && v < 0xe000)) return std::nullopt;
          append_utf8(out, v);
        }
        break;
      }
      default: {
        // \ooo: three octal digits, at most 0377.
        if (e < '0' || e > '7' || i + 2 >= body.size()) return std::nullopt;
        uint32_t v = 0;
        for (size_t k = 0; k < 3; k++) {
          char d = body[i + k];
          if (d < '0' || d > '7') return std::nullopt;
          v = v * 8 + static_cast<uint32_t>(d - '0');
        }
        if (v > 0377) return std::nullopt;
        out += static_cast<char>(v);
        i += 2;
      }
    }
  }
  return out;
}

std::vector<std::string_view> split_tabs(std::string_view s) {
  std::vector<std::string_view> out;
  for (;;) {
    size_t tab = s.find('\t');
    out.push_back(s.substr(0, tab));
    if (tab == std::string_view::npos) return out;
    s.remove_prefix(tab + 1);
  }
}

// The module info text, as runtime/debug.ParseBuildInfo reads it (Go src/runtime/debug/mod.go).
Status parse_modinfo(std::string_view mod, BuildInfo& info) {
  int line_no = 0;
  while (!mod.empty()) {
    size_t nl = mod.find('\n');
    if (nl == std::string_view::npos) break;  // ParseBuildInfo ignores an unterminated line
    std::string_view line = mod.substr(0, nl);
    mod.remove_prefix(nl + 1);
    line_no++;
    auto fail = [&](std::string_view why) {
      return make_error("buildinfo: module info line {}: {}", line_no, why);
    };
    if (line.starts_with("path\t")) {
      info.path = line.substr(5);
    } else if (line.starts_with("mod\t")) {
      auto elem = split_tabs(line.substr(4));
      if (elem.size() != 2 && elem.size() != 3) return fail("expected 2 or 3 columns");
      info.module_path = elem[0];
    } else if (line.starts_with("build\t")) {
      std::string_view kv = line.substr(6);
      if (kv.empty() || kv[0] == '=') return fail("build line without a key");
      std::string key;
      std::string_view raw;
      if (kv[0] == '"' || kv[0] == '`') {
        size_t n = quoted_prefix(kv);
        auto k = n ? unquote(kv.substr(0, n)) : std::nullopt;
        if (!k) return fail("invalid quoted key in build line");
        if (n == kv.size() || kv[n] != '=') return fail("build line without '=' after its key");
        key = *k;
        raw = kv.substr(n + 1);
      } else {
        size_t eq = kv.find('=');
        if (eq == std::string_view::npos) return fail("build line without '='");
        key = kv.substr(0, eq);
        raw = kv.substr(eq + 1);
      }
      std::string value(raw);
      if (!raw.empty() && (raw[0] == '"' || raw[0] == '`')) {
        auto v = unquote(raw);
        if (!v) return fail("invalid quoted value in build line");
        value = *v;
      }
      info.settings.emplace_back(std::move(key), std::move(value));
    }
    // "dep" and "=>" (replacement) lines: not kept.
  }
  return {};
}

// The first 16-byte aligned magic in data (debug/buildinfo searchMagic), or npos.
size_t find_magic(std::span<const uint8_t> data) {
  for (size_t off = 0; off + kHeaderSize <= data.size(); off += kAlign) {
    if (std::memcmp(data.data() + off, kMagic.data(), kMagic.size()) == 0) return off;
  }
  return std::string_view::npos;
}

// runtime.buildVersion: a Go string header {ptr, len} in .data (src/runtime/extern.go).
Result<BuildInfo> build_version(const ElfFile& elf, const Symbol& sym) {
  auto reader = [&elf](uint64_t addr, size_t n) { return elf.read(addr, n); };
  auto version = pointer_string(reader, sym.addr, 8, false, "runtime.buildVersion");
  if (!version) return version.error();
  if (!version->starts_with("go") && !version->starts_with("devel")) {
    return make_error("runtime.buildVersion is not a Go version: \"{}\"", *version);
  }
  BuildInfo info;
  info.go_version = std::move(*version);
  info.format = "runtime.buildVersion";
  return info;
}

}  // namespace

std::string BuildInfo::setting(std::string_view key) const {
  for (const auto& [k, v] : settings) {
    if (k == key) return v;
  }
  return "";
}

Result<BuildInfo> parse_buildinfo(std::span<const uint8_t> section, const AddressReader& read) {
  if (section.size() < kHeaderSize) {
    return make_error("buildinfo truncated: {} bytes, the header needs {}", section.size(),
                      kHeaderSize);
  }
  if (std::memcmp(section.data(), kMagic.data(), kMagic.size()) != 0) {
    return make_error("buildinfo has no \"\\xff Go buildinf:\" magic");
  }
  uint8_t ptr_size = section[14];
  uint8_t flags = section[15];
  BuildInfo info;
  std::string mod;
  if (flags & kFlagInline) {
    // Go 1.18+: the two strings follow the header, each after a uvarint length.
    size_t pos = kHeaderSize;
    auto version = inline_string(section, pos, "version");
    if (!version) return version.error();
    auto modinfo = inline_string(section, pos, "module info");
    if (!modinfo) return modinfo.error();
    info.go_version = std::move(*version);
    mod = std::move(*modinfo);
    info.format = "inline";
  } else {
    if (ptr_size != 4 && ptr_size != 8) {
      return make_error("buildinfo: bad pointer size {}", ptr_size);
    }
    if (!read) return make_error("buildinfo: pointer format needs an address reader");
    bool big = flags & kFlagBigEndian;
    uint64_t vers_ptr = read_uint(section.subspan(16), ptr_size, big);
    uint64_t mod_ptr = read_uint(section.subspan(16 + ptr_size), ptr_size, big);
    auto version = pointer_string(read, vers_ptr, ptr_size, big, "version");
    if (!version) return version.error();
    auto modinfo = pointer_string(read, mod_ptr, ptr_size, big, "module info");
    if (!modinfo) return modinfo.error();
    info.go_version = std::move(*version);
    mod = std::move(*modinfo);
    info.format = "pointer";
  }
  if (info.go_version.empty()) return make_error("buildinfo: empty Go version");
  // 16-byte sentinels frame the module info (cmd/go/internal/modload infoStart, infoEnd);
  // debug/buildinfo drops a module info without them.
  if (mod.size() >= 33 && mod[mod.size() - 17] == '\n') {
    mod = mod.substr(16, mod.size() - 32);
  } else {
    mod.clear();
  }
  if (auto st = parse_modinfo(mod, info); !st) return st.error();
  return info;
}

Result<BuildInfo> read_buildinfo(const ElfFile& elf) {
  auto reader = [&elf](uint64_t addr, size_t n) { return elf.read(addr, n); };
  std::string why;
  std::span<const uint8_t> blob;
  if (const Section* s = elf.find_section(".go.buildinfo")) {
    auto data = elf.section_data(*s);
    if (data) {
      blob = *data;
    } else {
      why = data.error().message;
    }
  } else {
    // No section (e.g. section headers dropped): debug/buildinfo searches the first writable,
    // non-executable PT_LOAD segment; a PIE's first one is RELRO and the blob starts the next
    // (measured, go1.19-1.27), so search each.
    for (const Segment& seg : elf.load_segments()) {
      if ((seg.flags & (PF_X | PF_W)) != PF_W) continue;
      auto img = elf.image();
      if (seg.offset > img.size()) continue;
      auto data = img.subspan(seg.offset, std::min<uint64_t>(seg.filesz, img.size() - seg.offset));
      // The magic is aligned in memory; the segment's offset and address agree modulo pages.
      size_t skip = static_cast<size_t>((kAlign - seg.vaddr % kAlign) % kAlign);
      if (skip > data.size()) continue;
      size_t at = find_magic(data.subspan(skip));
      if (at == std::string_view::npos) continue;
      blob = data.subspan(skip + at);
      break;
    }
  }
  if (!blob.empty()) {
    auto info = parse_buildinfo(blob, reader);
    if (info) return info;
    why = info.error().message;
  }
  if (const Symbol* sym = elf.find_object("runtime.buildVersion")) {
    auto info = build_version(elf, *sym);
    if (info) return info;
    return make_error("{}: no Go version: {}{}", elf.path(), why.empty() ? "" : why + "; ",
                      info.error().message);
  }
  if (!why.empty()) {
    return make_error("{}: {}, and no runtime.buildVersion symbol", elf.path(), why);
  }
  return make_error("{} is not a Go binary: no .go.buildinfo section and no runtime.buildVersion "
                    "symbol", elf.path());
}

Result<std::pair<int, int>> go_minor_version(std::string_view go_version) {
  auto bad = [&] { return make_error("not a Go release version: \"{}\"", go_version); };
  if (!go_version.starts_with("go")) return bad();
  size_t pos = 2;
  auto number = [&](int& out) {
    size_t start = pos;
    long v = 0;
    while (pos < go_version.size() && go_version[pos] >= '0' && go_version[pos] <= '9' &&
           pos - start < 6) {
      v = v * 10 + (go_version[pos++] - '0');
    }
    out = static_cast<int>(v);
    return pos > start;
  };
  int major = 0;
  int minor = 0;
  if (!number(major) || pos >= go_version.size() || go_version[pos] != '.') return bad();
  pos++;
  if (!number(minor)) return bad();
  // Then the end, ".patch", "rc1"/"beta1", or " X:experiment"; never another digit.
  if (pos < go_version.size() && go_version[pos] >= '0' && go_version[pos] <= '9') return bad();
  return std::pair{major, minor};
}

}  // namespace gri::goelf
