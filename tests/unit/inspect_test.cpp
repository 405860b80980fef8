// gri inspect's model and JSON on the real workloads, live processes, and bad input.
#include "inspect/inspect.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <map>
#include <fstream>
#include <regex>
#include <thread>

#include <nlohmann/json.hpp>

#include "go_probes.h"
#include "goelf/elf_file.h"
#include "inspect/render.h"
#include "probe/child.h"
#include "probe/process_image.h"

namespace {

using namespace gri::test;
using gri::inspect::inspect_binary;

class InspectTest : public ::testing::TestWithParam<ProbeBinary> {};

TEST_P(InspectTest, JsonCarriesTheKeysScriptsRelyOn) {
  std::string path = GetParam().path("gc");
  auto in = inspect_binary(path);
  ASSERT_TRUE(in) << in.error().message;
  auto j = nlohmann::json::parse(gri::inspect::to_json(*in).dump());

  // "gc: go1.26.8" from go version BINARY
  std::string gv = run_command(go_command() + " version " + path);
  EXPECT_EQ(j["go_version"], gv.substr(gv.find(": ") + 2, gv.find('\n') - gv.find(": ") - 2));
  EXPECT_EQ(j["arch"], "x86-64");
  EXPECT_EQ(j["pie"], GetParam().variant == "-pie");
  EXPECT_EQ(j["stripped"], GetParam().variant == "-stripped");
  EXPECT_EQ(j["symbol_source"], GetParam().variant == "-stripped" ? "pclntab" : "symtab+pclntab");
  EXPECT_GT(j["functions"].get<size_t>(), 1000u);

  bool saw_gc_start = false;
  for (const auto& p : j["probes"]) {
    for (const char* key : {"symbol", "present", "address", "file_offset", "entry_offset",
                            "ret_offsets", "reason"}) {
      EXPECT_TRUE(p.contains(key)) << key;
    }
    if (p["present"] == true) {
      EXPECT_TRUE(std::regex_match(p["address"].get<std::string>(), std::regex("0x[0-9a-f]+")));
    } else {
      EXPECT_FALSE(p["reason"].get<std::string>().empty()) << p["symbol"];
    }
    if (p["symbol"] == "runtime.gcStart") {
      saw_gc_start = true;
      EXPECT_EQ(p["present"], true);
      EXPECT_EQ(p["reason"], "");
      EXPECT_GT(p["entry_offset"].get<uint64_t>(), 0u) << "gcStart has a stack check";
      EXPECT_FALSE(p["ret_offsets"].empty());
    }
  }
  EXPECT_TRUE(saw_gc_start);
  ASSERT_FALSE(j["offsets"].empty());
  for (const auto& o : j["offsets"]) {
    for (const char* key : {"struct", "field", "offset", "source"}) EXPECT_TRUE(o.contains(key));
  }
}

TEST_P(InspectTest, TextMentionsVersionAndProbePoints) {
  auto in = inspect_binary(GetParam().path("gc"));
  ASSERT_TRUE(in) << in.error().message;
  std::string text = gri::inspect::render_text(*in);
  EXPECT_NE(text.find(in->build.go_version), std::string::npos);
  EXPECT_NE(text.find("runtime.gcStart"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Toolchains, InspectTest,
                         ::testing::ValuesIn(probe_binaries({"", "-stripped", "-pie"})),
                         [](const auto& info) {
                           return param_name(info.param.label + info.param.variant);
                         });

// A version-specific symbol is reported missing with the versions that have it.
TEST(Inspect, MissingProbePointsSayWhy) {
  std::map<std::string, std::map<std::string, std::string>> expected = {
      {"go1.19",
       {{"runtime.mallocgcTiny", "not in go1.19 (exists from 1.24)"},
        {"runtime.addtimer",
         "not in this binary's function table: inlined everywhere, or dropped by the linker as "
         "unused"}}},
      {"go1.26",
       {{"runtime.addtimer", "not in go1.26 (last in 1.22): timers rewritten in 1.23"},
        {"runtime.mapaccess1", "not in this binary: dropped by the linker when no map is read"}}},
  };
  for (const auto& [label, reasons] : expected) {
    auto in = inspect_binary(probe_path(label, "gc"));
    ASSERT_TRUE(in) << in.error().message;
    size_t seen = 0;
    for (const auto& p : in->probes) {
      auto it = reasons.find(p.symbol);
      if (it == reasons.end()) continue;
      seen++;
      EXPECT_FALSE(p.present) << label << " " << p.symbol;
      EXPECT_EQ(p.reason, it->second) << label;
    }
    EXPECT_EQ(seen, reasons.size()) << label;
  }
}

std::string write_file(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                              static_cast<std::streamsize>(bytes.size()));
  return path;
}

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// Overwrites `n` bytes at the start of `section` in a copy of a binary.
std::string corrupt_section(const TempDir& dir, const std::string& src, const char* section,
                            size_t at, std::vector<uint8_t> with) {
  auto elf = gri::goelf::ElfFile::open(src);
  EXPECT_TRUE(elf);
  const gri::goelf::Section* s = elf->find_section(section);
  EXPECT_NE(s, nullptr) << section;
  std::vector<uint8_t> bytes = read_bytes(src);
  std::copy(with.begin(), with.end(), bytes.begin() + static_cast<long>(s->offset + at));
  return write_file(dir.path() + "/corrupt", bytes);
}

void expect_error(const std::string& path, const std::string& contains) {
  auto in = inspect_binary(path);
  ASSERT_FALSE(in) << path << " was accepted";
  EXPECT_NE(in.error().message.find(contains), std::string::npos) << in.error().message;
  EXPECT_EQ(in.error().message.find('\n'), std::string::npos) << "one line";
}

TEST(InspectBadInput, EveryKindIsOneLine) {
  TempDir dir;
  std::string go = probe_path("go1.26", "gc-stripped");
  expect_error("/nonexistent/binary", "No such file or directory");
  expect_error(write_file(dir.path() + "/text", {'h', 'e', 'l', 'l', 'o'}), "is not an ELF file");
  std::vector<uint8_t> head = read_bytes(go);
  head.resize(4096);
  expect_error(write_file(dir.path() + "/truncated", head), "truncated");
  expect_error("/bin/ls", "not a Go binary");
  // A 32-bit ELF header (Elf32_Ehdr of an i386 executable, no sections).
  std::vector<uint8_t> elf32 = {0x7f, 'E', 'L', 'F', 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                2, 0, 3, 0, 1, 0, 0, 0};
  elf32.resize(52, 0);
  elf32[40] = 52;  // e_ehsize
  expect_error(write_file(dir.path() + "/elf32", elf32), "32-bit");
  expect_error(corrupt_section(dir, go, ".gopclntab", 0, {0x12, 0x34, 0x56, 0x78}), "pclntab");
  expect_error(corrupt_section(dir, go, ".go.buildinfo", 0, {'x', 'x', 'x', 'x'}), "buildinfo");
}

TEST(InspectProcess, PieLoadBiasMatchesMaps) {
  std::string exe = probe_path("go1.26", "gc-pie");
  // Many forced collections: runs long enough to be inspected, killed at the end.
  auto child = gri::probe::HeldChild::spawn({{exe, "-n", "100000000", "-round", "1"}, {}, "/dev/null", "/dev/null"});
  ASSERT_TRUE(child) << child.error().message;
  ASSERT_TRUE(child->release());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));

  auto in = gri::inspect::inspect_process(child->pid());
  ASSERT_TRUE(in) << in.error().message;
  EXPECT_EQ(in->exe, std::filesystem::canonical(exe).string());
  ASSERT_TRUE(in->load_bias);
  // Oracle: the mapping of file offset 0 minus the first PT_LOAD's link address, which Go
  // puts at 0x400000 even for PIE (ET_DYN) binaries (readelf -l, go1.19-1.27).
  std::string maps = read_file("/proc/" + std::to_string(child->pid()) + "/maps");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(maps, m, std::regex("([0-9a-f]+)-[0-9a-f]+ r.xp 00000000 .*gc-pie")))
      << maps;
  std::string phdrs = run_command("readelf -lW " + exe);
  std::smatch load;
  ASSERT_TRUE(std::regex_search(phdrs, load, std::regex(R"(LOAD\s+0x0+\s+0x([0-9a-f]+))")));
  EXPECT_EQ(*in->load_bias, std::stoull(m[1], nullptr, 16) - std::stoull(load[1], nullptr, 16));
  EXPECT_GT(*in->load_bias, 0u);
}

TEST(InspectProcess, GoneProcessIsAnError) {
  auto child = gri::probe::HeldChild::spawn({{"/bin/true"}, {}, "", ""});
  ASSERT_TRUE(child);
  pid_t pid = child->pid();
  ASSERT_TRUE(child->release());
  ASSERT_TRUE(child->wait(std::chrono::seconds(10)));
  auto in = gri::inspect::inspect_process(pid);
  ASSERT_FALSE(in);
  EXPECT_EQ(in.error().message, "no process with PID " + std::to_string(pid));
}

TEST(LoadBias, FromMapsByInode) {
  std::string maps =
      "7f0000000000-7f0000001000 r--p 00000000 fd:01 42 /app/server (deleted)\n"
      "7f0000001000-7f0000100000 r-xp 00001000 fd:01 42 /app/server (deleted)\n"
      "7f1000000000-7f1000001000 r-xp 00000000 fd:01 7 /lib/other.so\n";
  auto bias = gri::probe::load_bias_from_maps(maps, 0x1000, 0x1000, 42);
  ASSERT_TRUE(bias) << bias.error().message;
  EXPECT_EQ(*bias, 0x7f0000000000u);
  EXPECT_FALSE(gri::probe::load_bias_from_maps(maps, 0x1000, 0x1000, 43));
}

}  // namespace
