// goelf buildinfo against the real workloads of every toolchain, plain, stripped and PIE, with
// `go version` and `go version -m` as the oracles; hand-built blobs for the pointer format
// and for corrupt input.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <sstream>

#include "go_probes.h"
#include "goelf/buildinfo.h"

namespace {

using gri::goelf::AddressReader;
using gri::goelf::BuildInfo;
using gri::goelf::ElfFile;
using gri::goelf::go_minor_version;
using gri::goelf::parse_buildinfo;
using gri::goelf::read_buildinfo;
using namespace gri::test;

const std::string kMagic("\xff Go buildinf:", 14);

// `go version -m` prints "\tbuild\tKEY=VALUE", VALUE Go-quoted when it holds spaces and the
// like; the workloads' values need no escapes (a backslash fails the test to say so).
std::vector<std::pair<std::string, std::string>> oracle_settings(const std::string& out) {
  std::vector<std::pair<std::string, std::string>> settings;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    if (!line.starts_with("\tbuild\t")) continue;
    std::string kv = line.substr(7);
    size_t eq = kv.find('=');
    EXPECT_NE(eq, std::string::npos) << line;
    if (eq == std::string::npos) continue;
    std::string value = kv.substr(eq + 1);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      EXPECT_EQ(value.find('\\'), std::string::npos) << "the oracle needs a real unquote: " << line;
      value = value.substr(1, value.size() - 2);
    }
    settings.emplace_back(kv.substr(0, eq), value);
  }
  return settings;
}

// "go1.26" -> {1, 26}
std::pair<int, int> label_version(const std::string& label) {
  size_t dot = label.find('.');
  return {std::stoi(label.substr(2, dot - 2)), std::stoi(label.substr(dot + 1))};
}

std::vector<uint8_t> image_of(const ElfFile& elf) {
  auto img = elf.image();
  return {img.begin(), img.end()};
}

class BuildInfoTest : public ::testing::TestWithParam<ProbeBinary> {
 protected:
  std::string path() const { return GetParam().path("gc"); }
};

TEST_P(BuildInfoTest, MatchesGoVersion) {
  // "build/go-probes/go1.26/gc: go1.26.8"
  std::string out = run_command(go_command() + " version " + path());
  size_t colon = out.rfind(": ");
  ASSERT_NE(colon, std::string::npos) << out;
  std::string want = out.substr(colon + 2);
  while (!want.empty() && isspace(static_cast<unsigned char>(want.back()))) want.pop_back();

  auto elf = ElfFile::open(path());
  ASSERT_TRUE(elf) << elf.error().message;
  auto info = read_buildinfo(*elf);
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->go_version, want);
  EXPECT_EQ(info->format, "inline") << "every supported toolchain is Go 1.18+";
  auto minor = go_minor_version(info->go_version);
  ASSERT_TRUE(minor) << minor.error().message;
  EXPECT_EQ(*minor, label_version(GetParam().label));
}

TEST_P(BuildInfoTest, ModuleAndSettingsMatchGoVersionM) {
  std::string out = run_command(go_command() + " version -m " + path());
  auto elf = ElfFile::open(path());
  ASSERT_TRUE(elf) << elf.error().message;
  auto info = read_buildinfo(*elf);
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->path, "gri/go-probes/gc");
  EXPECT_EQ(info->module_path, "gri/go-probes");
  auto want = oracle_settings(out);
  EXPECT_GE(want.size(), 5u) << out;
  EXPECT_EQ(info->settings, want) << out;
  EXPECT_EQ(info->setting("GOOS"), "linux");
  EXPECT_EQ(info->setting("no-such-setting"), "");
  if (GetParam().variant == "-stripped") {
    EXPECT_EQ(info->setting("-ldflags"), "-s -w");
  }
}

TEST_P(BuildInfoTest, BuildModeSetting) {
  auto elf = ElfFile::open(path());
  ASSERT_TRUE(elf) << elf.error().message;
  auto info = read_buildinfo(*elf);
  ASSERT_TRUE(info) << info.error().message;
  // Go 1.19's go command records no -buildmode setting (measured: go version -m on the
  // go1.19 PIE lists none); Go 1.26 and 1.27 record it for every build.
  if (GetParam().label == "go1.19") {
    EXPECT_EQ(info->setting("-buildmode"), "");
  } else {
    EXPECT_EQ(info->setting("-buildmode"), GetParam().variant == "-pie" ? "pie" : "exe");
  }
}

// Without the .go.buildinfo magic, the version comes from runtime.buildVersion in .symtab;
// a stripped binary has neither.
TEST_P(BuildInfoTest, RuntimeBuildVersionFallback) {
  auto elf = ElfFile::open(path());
  ASSERT_TRUE(elf) << elf.error().message;
  auto want = read_buildinfo(*elf);
  ASSERT_TRUE(want) << want.error().message;
  const gri::goelf::Section* s = elf->find_section(".go.buildinfo");
  ASSERT_NE(s, nullptr);
  std::vector<uint8_t> image = image_of(*elf);
  ASSERT_EQ(std::memcmp(image.data() + s->offset, kMagic.data(), kMagic.size()), 0);
  std::memset(image.data() + s->offset, 0, kMagic.size());
  auto copy = ElfFile::from_memory(std::move(image), "no-magic");
  ASSERT_TRUE(copy) << copy.error().message;

  auto info = read_buildinfo(*copy);
  if (GetParam().variant == "-stripped") {
    ASSERT_FALSE(info);
    EXPECT_NE(info.error().message.find("no runtime.buildVersion symbol"), std::string::npos)
        << info.error().message;
    EXPECT_NE(info.error().message.find("magic"), std::string::npos) << info.error().message;
    return;
  }
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->format, "runtime.buildVersion");
  EXPECT_EQ(info->go_version, want->go_version);
  EXPECT_TRUE(info->settings.empty());
}

// With no .go.buildinfo section header, the blob is found as debug/buildinfo finds it: the
// first aligned magic of the first writable PT_LOAD segment.
TEST_P(BuildInfoTest, FoundInDataSegmentWithoutSectionName) {
  auto elf = ElfFile::open(path());
  ASSERT_TRUE(elf) << elf.error().message;
  auto want = read_buildinfo(*elf);
  ASSERT_TRUE(want) << want.error().message;
  const gri::goelf::Section* shstrtab = elf->find_section(".shstrtab");
  ASSERT_NE(shstrtab, nullptr);
  std::vector<uint8_t> image = image_of(*elf);
  std::string names(image.begin() + shstrtab->offset,
                    image.begin() + shstrtab->offset + shstrtab->size);
  size_t at = names.find(std::string(".go.buildinfo") + '\0');
  ASSERT_NE(at, std::string::npos);
  image[shstrtab->offset + at + 1] = 'X';  // ".Xo.buildinfo"
  auto copy = ElfFile::from_memory(std::move(image), "renamed");
  ASSERT_TRUE(copy) << copy.error().message;
  ASSERT_EQ(copy->find_section(".go.buildinfo"), nullptr);

  auto info = read_buildinfo(*copy);
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->format, "inline");
  EXPECT_EQ(info->go_version, want->go_version);
  EXPECT_EQ(info->settings, want->settings);
}

INSTANTIATE_TEST_SUITE_P(Toolchains, BuildInfoTest,
                         ::testing::ValuesIn(probe_binaries({"", "-stripped", "-pie"})),
                         [](const auto& info) {
                           return param_name(info.param.label + info.param.variant);
                         });

TEST(BuildInfo, NotAGoBinary) {
  std::string self = "/proc/self/exe";  // this test: C++, no Go
  auto elf = ElfFile::open(self);
  ASSERT_TRUE(elf) << elf.error().message;
  auto info = read_buildinfo(*elf);
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().message,
            self + " is not a Go binary: no .go.buildinfo section and no runtime.buildVersion "
                   "symbol");
}

// --- hand-built blobs ---

void put_uvarint(std::vector<uint8_t>& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<uint8_t>(v));
}

void put_u64(std::vector<uint8_t>& out, size_t at, uint64_t v) {
  if (out.size() < at + 8) out.resize(at + 8);
  for (int i = 0; i < 8; i++) out[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

std::vector<uint8_t> header(uint8_t ptr_size, uint8_t flags) {
  std::vector<uint8_t> h(kMagic.begin(), kMagic.end());
  h.push_back(ptr_size);
  h.push_back(flags);
  h.resize(32);
  return h;
}

std::string from_hex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  }
  return out;
}

// cmd/go/internal/modload (build.go): infoStart and infoEnd, 16 bytes each.
std::string framed(const std::string& modinfo) {
  return from_hex("3077af0c9274080241e1c107e6d618e6") + modinfo +
         from_hex("f932433186182072008242104116d8f2");
}

const std::string kModinfo =
    "path\texample.com/cmd/tool\n"
    "mod\texample.com/cmd\tv1.2.3\th1:abc=\n"
    "dep\tgolang.org/x/sys\tv0.1.0\th1:def=\n"
    "=>\t../sys\t(devel)\t\n"
    "build\t-buildmode=pie\n"
    "build\t-ldflags=\"-s -w -X \\\"main.v=1\\\"\"\n"
    "build\t\"we\\tird\"=`raw value`\n"
    "build\tCGO_ENABLED=0\n"
    "build\tGOEXPERIMENT=\n"
    "build\tU=\"\\x41\\u00e9\\101\\U0001F600\"\n";

std::vector<uint8_t> inline_blob(const std::string& version, const std::string& mod) {
  std::vector<uint8_t> b = header(8, 0x2);
  put_uvarint(b, version.size());
  b.insert(b.end(), version.begin(), version.end());
  put_uvarint(b, mod.size());
  b.insert(b.end(), mod.begin(), mod.end());
  return b;
}

TEST(BuildInfo, InlineFormat) {
  auto info = parse_buildinfo(inline_blob("go1.27.3", framed(kModinfo)), nullptr);
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->format, "inline");
  EXPECT_EQ(info->go_version, "go1.27.3");
  EXPECT_EQ(info->path, "example.com/cmd/tool");
  EXPECT_EQ(info->module_path, "example.com/cmd");
  std::vector<std::pair<std::string, std::string>> want = {
      {"-buildmode", "pie"},
      {"-ldflags", "-s -w -X \"main.v=1\""},
      {"we\tird", "raw value"},
      {"CGO_ENABLED", "0"},
      {"GOEXPERIMENT", ""},
      {"U", "A\xc3\xa9" "A\xf0\x9f\x98\x80"}};
  EXPECT_EQ(info->settings, want);
  EXPECT_EQ(info->setting("-ldflags"), "-s -w -X \"main.v=1\"");
  EXPECT_EQ(info->setting("GOEXPERIMENT"), "");
}

TEST(BuildInfo, ModuleInfoWithoutSentinelsIsIgnored) {
  // debug/buildinfo drops module info that is not framed (a GOPATH build has none).
  auto info = parse_buildinfo(inline_blob("go1.19.8", kModinfo), nullptr);
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->go_version, "go1.19.8");
  EXPECT_EQ(info->path, "");
  EXPECT_TRUE(info->settings.empty());
}

// A fake address space: {addr -> bytes}; reads must lie inside one region.
AddressReader fake_memory(std::map<uint64_t, std::vector<uint8_t>> regions) {
  return [regions](uint64_t addr, size_t n) -> gri::Result<std::vector<uint8_t>> {
    for (const auto& [base, bytes] : regions) {
      if (addr >= base && addr - base <= bytes.size()) {
        size_t off = addr - base;
        size_t len = std::min(n, bytes.size() - off);  // as ElfFile::read: up to the end
        return std::vector<uint8_t>(bytes.begin() + off, bytes.begin() + off + len);
      }
    }
    return gri::make_error("address {:#x} is not mapped", addr);
  };
}

std::vector<uint8_t> bytes_of(const std::string& s) { return {s.begin(), s.end()}; }

// Go 1.13-1.17: the header points at two Go string headers {ptr, len}.
TEST(BuildInfo, PointerFormat) {
  std::vector<uint8_t> blob = header(8, 0x0);
  put_u64(blob, 16, 0x5000);  // &runtime.buildVersion
  put_u64(blob, 24, 0x5010);  // &runtime.modinfo
  std::string mod = framed("path\tx/y\nmod\tx\t(devel)\t\nbuild\tGOOS=linux\n");
  std::vector<uint8_t> strings(16);
  put_u64(strings, 0, 0x6000);
  put_u64(strings, 8, 8);
  put_u64(strings, 16, 0x7000);
  put_u64(strings, 24, mod.size());
  auto version = bytes_of("go1.17.2");
  auto read = fake_memory({{0x5000, strings}, {0x6000, version}, {0x7000, bytes_of(mod)}});

  auto info = parse_buildinfo(blob, read);
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->format, "pointer");
  EXPECT_EQ(info->go_version, "go1.17.2");
  EXPECT_EQ(info->path, "x/y");
  EXPECT_EQ(info->module_path, "x");
  EXPECT_EQ(info->setting("GOOS"), "linux");

  // A string that runs past its mapping, a dangling pointer, a huge length, a bad pointer size.
  auto broken = strings;
  put_u64(broken, 8, 9);
  EXPECT_FALSE(parse_buildinfo(blob, fake_memory({{0x5000, broken}, {0x6000, version}})));
  EXPECT_FALSE(parse_buildinfo(blob, fake_memory({{0x5000, strings}})));
  put_u64(broken, 8, uint64_t{1} << 40);
  auto huge = parse_buildinfo(blob, fake_memory({{0x5000, broken}, {0x6000, version}}));
  ASSERT_FALSE(huge);
  EXPECT_NE(huge.error().message.find("corrupt"), std::string::npos) << huge.error().message;
  auto bad_size = blob;
  bad_size[14] = 3;
  EXPECT_FALSE(parse_buildinfo(bad_size, read));
  EXPECT_FALSE(parse_buildinfo(blob, nullptr)) << "no reader for a pointer format";
}

TEST(BuildInfo, CorruptInputIsAnError) {
  auto good = inline_blob("go1.26.8", framed(kModinfo));
  ASSERT_TRUE(parse_buildinfo(good, nullptr));
  // Every truncation: the header, a length, or a string cut short.
  for (size_t n = 0; n < good.size(); n++) {
    auto cut = std::vector<uint8_t>(good.begin(), good.begin() + n);
    auto info = parse_buildinfo(cut, nullptr);
    if (n < 32) {
      ASSERT_FALSE(info) << n;
      EXPECT_NE(info.error().message.find("truncated"), std::string::npos) << n;
    } else {
      EXPECT_FALSE(info) << "cut at " << n;
    }
  }
  auto bad_magic = good;
  bad_magic[1] = 'g';
  auto info = parse_buildinfo(bad_magic, nullptr);
  ASSERT_FALSE(info);
  EXPECT_NE(info.error().message.find("magic"), std::string::npos) << info.error().message;

  // A varint length past the end of the section.
  auto past = header(8, 0x2);
  put_uvarint(past, 1000);
  past.insert(past.end(), 10, 'x');
  EXPECT_FALSE(parse_buildinfo(past, nullptr));
  // A varint of more than 64 bits, and a length near 2^64.
  auto overlong = header(8, 0x2);
  overlong.insert(overlong.end(), 11, 0xff);
  EXPECT_FALSE(parse_buildinfo(overlong, nullptr));
  auto near_max = header(8, 0x2);
  put_uvarint(near_max, ~uint64_t{0});
  EXPECT_FALSE(parse_buildinfo(near_max, nullptr));
  // An empty version, a malformed mod line, a build line without '=' or with a bad quote.
  EXPECT_FALSE(parse_buildinfo(inline_blob("", ""), nullptr));
  EXPECT_FALSE(parse_buildinfo(inline_blob("go1.26.8", framed("mod\tonly-one-column\n")), nullptr));
  EXPECT_FALSE(parse_buildinfo(inline_blob("go1.26.8", framed("build\tGOOS\n")), nullptr));
  EXPECT_FALSE(parse_buildinfo(inline_blob("go1.26.8", framed("build\tX=\"open\n")), nullptr));
  EXPECT_FALSE(parse_buildinfo(inline_blob("go1.26.8", framed("build\tX=\"\\q\"\n")), nullptr));
}

TEST(BuildInfo, GoMinorVersion) {
  using V = std::pair<int, int>;
  EXPECT_EQ(*go_minor_version("go1.26.8"), V(1, 26));
  EXPECT_EQ(*go_minor_version("go1.27rc1"), V(1, 27));
  EXPECT_EQ(*go_minor_version("go1.19"), V(1, 19));
  EXPECT_EQ(*go_minor_version("go1.22.0 X:boringcrypto"), V(1, 22));
  for (const char* bad : {"", "go", "go1", "go1.", "1.26.8", "devel go1.27-abcdef", "go1.x",
                          "gox.26", "go1.99999999"}) {
    auto v = go_minor_version(bad);
    EXPECT_FALSE(v) << bad;
  }
}

}  // namespace
