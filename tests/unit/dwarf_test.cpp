// goelf::Dwarf against the real workloads of every toolchain, plain and PIE, with
// `readelf --debug-dump=info` (member offsets, struct sizes) and `go tool nm` (global
// addresses) as the oracles; stripped binaries must say they have no DWARF.
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "go_probes.h"
#include "goelf/dwarf.h"

namespace {

using gri::goelf::Dwarf;
using namespace gri::test;

// What readelf prints for the struct types we ask about: name -> (byte size, member -> offset).
struct ReadelfStruct {
  uint64_t size = 0;
  std::map<std::string, uint64_t> members;
};

// Parses readelf's text, independently of libdw:
//    <1><902ad>: Abbrev Number: 30 (DW_TAG_structure_type)
//       <902ae>   DW_AT_name        : runtime.g
//       <902b8>   DW_AT_byte_size   : 456
//    <2><902c3>: Abbrev Number: 14 (DW_TAG_member)
//       <902c4>   DW_AT_name        : stack
//       <902ca>   DW_AT_data_member_location: 0
// The first DW_TAG_structure_type of each wanted name counts (Go also has a typedef of it).
std::map<std::string, ReadelfStruct> readelf_structs(const std::string& binary,
                                                     const std::set<std::string>& wanted) {
  std::istringstream in(run_command("readelf --debug-dump=info " + binary + " 2>/dev/null"));
  std::regex die_re(R"(^\s*<(\d+)><[0-9a-f]+>: Abbrev Number: \d+ \((\w+)\))");
  std::regex attr_re(R"(^\s*<[0-9a-f]+>\s+(DW_AT_\w+)\s*:\s*(.*?)\s*$)");
  std::map<std::string, ReadelfStruct> out;
  int struct_depth = -1;  // depth of the wanted struct we are in, or -1
  std::string struct_name;
  int depth = 0;
  std::string tag;
  std::string member;  // name of the member DIE being read
  bool pending_struct = false;  // a structure_type DIE whose name we have not read yet
  std::smatch m;
  for (std::string line; std::getline(in, line);) {
    if (std::regex_search(line, m, die_re)) {
      depth = std::stoi(m[1]);
      tag = m[2];
      member.clear();
      if (struct_depth >= 0 && depth <= struct_depth) struct_depth = -1;
      pending_struct = tag == "DW_TAG_structure_type" && struct_depth < 0;
      continue;
    }
    if (!std::regex_search(line, m, attr_re)) continue;
    std::string attr = m[1], value = m[2];
    if (pending_struct && attr == "DW_AT_name") {
      pending_struct = false;
      if (wanted.count(value) && !out.count(value)) {
        struct_depth = depth;
        struct_name = value;
        out[value];
      }
    } else if (struct_depth >= 0 && depth == struct_depth && attr == "DW_AT_byte_size") {
      out[struct_name].size = std::stoull(value);
    } else if (struct_depth >= 0 && depth == struct_depth + 1 && tag == "DW_TAG_member") {
      if (attr == "DW_AT_name") member = value;
      if (attr == "DW_AT_data_member_location" && !member.empty()) {
        out[struct_name].members[member] = std::stoull(value);
      }
    }
  }
  return out;
}

// go tool nm: "  59d820 D runtime.sched"
uint64_t nm_data_address(const std::string& binary, const std::string& name) {
  std::istringstream in(run_command(go_command() + " tool nm " + binary));
  std::regex line_re("^ *([0-9a-f]+) [DdBb] " + std::regex_replace(name, std::regex("\\."), "\\.") +
                     "$");
  std::smatch m;
  for (std::string l; std::getline(in, l);) {
    if (std::regex_match(l, m, line_re)) return std::stoull(m[1], nullptr, 16);
  }
  return 0;
}

class DwarfTest : public ::testing::TestWithParam<ProbeBinary> {
 protected:
  std::string path() const { return GetParam().path("gc"); }
};

// One field of each struct gri reads, top-level members whose names hold in 1.19-1.27.
const std::pair<const char*, const char*> kSample[] = {
    {"runtime.g", "goid"},
    {"runtime.g", "m"},
    {"runtime.g", "sched"},
    {"runtime.g", "atomicstatus"},
    {"runtime.m", "procid"},
    {"runtime.m", "p"},
    {"runtime.p", "runqhead"},
    {"runtime.p", "runnext"},
    {"runtime.schedt", "npidle"},
    {"runtime.schedt", "runq"},
    {"runtime.gcControllerState", "heapLive"},
    {"runtime.gcControllerState", "gcPercentHeapGoal"},
    {"runtime.gobuf", "pc"},
    {"runtime.gQueue", "head"},
};

TEST_P(DwarfTest, MemberOffsetsAndSizesMatchReadelf) {
  std::set<std::string> wanted;
  for (const auto& [type, member] : kSample) wanted.insert(type);
  auto oracle = readelf_structs(path(), wanted);
  auto dwarf = Dwarf::open(path());
  ASSERT_TRUE(dwarf) << dwarf.error().message;
  for (const auto& [type, member] : kSample) {
    ASSERT_TRUE(oracle.count(type)) << type << " not found by readelf in " << path();
    ASSERT_TRUE(oracle[type].members.count(member)) << type << "." << member;
    auto offset = dwarf->member_offset(type, member);
    ASSERT_TRUE(offset) << offset.error().message;
    EXPECT_EQ(*offset, oracle[type].members[member]) << type << "." << member;
  }
  for (const std::string& type : wanted) {
    auto size = dwarf->type_size(type);
    ASSERT_TRUE(size) << size.error().message;
    EXPECT_EQ(*size, oracle[type].size) << type;
  }
  // A nested path is the sum of the offsets along it.
  auto pc = dwarf->member_offset("runtime.g", "sched.pc");
  ASSERT_TRUE(pc) << pc.error().message;
  EXPECT_EQ(*pc, oracle["runtime.g"].members["sched"] + oracle["runtime.gobuf"].members["pc"]);
  auto head = dwarf->member_offset("runtime.schedt", "runq.head");
  ASSERT_TRUE(head) << head.error().message;
  EXPECT_EQ(*head,
            oracle["runtime.schedt"].members["runq"] + oracle["runtime.gQueue"].members["head"]);
}

// sched.runqsize became sched.runq.size in Go 1.25 (runtime/runtime2.go, proc.go).
TEST_P(DwarfTest, RunqsizeMovedIntoGQueueAndErrorsNameTheMissingPiece) {
  auto dwarf = Dwarf::open(path());
  ASSERT_TRUE(dwarf) << dwarf.error().message;
  auto old_name = dwarf->member_offset("runtime.schedt", "runqsize");
  auto new_name = dwarf->member_offset("runtime.schedt", "runq.size");
  if (GetParam().minor() < 25) {
    EXPECT_TRUE(old_name);
    ASSERT_FALSE(new_name);
    EXPECT_EQ(new_name.error().message,
              "runtime.schedt has no member runq.size (runtime.gQueue has no member size)");
  } else {
    ASSERT_FALSE(old_name);
    EXPECT_EQ(old_name.error().message, "runtime.schedt has no member runqsize");
    ASSERT_TRUE(new_name) << new_name.error().message;
    auto runq = dwarf->member_offset("runtime.schedt", "runq");
    ASSERT_TRUE(runq);
    EXPECT_EQ(*new_name, *runq + 16);  // gQueue{head, tail guintptr; size int32}
  }
  auto no_type = dwarf->member_offset("runtime.nosuchtype", "x");
  ASSERT_FALSE(no_type);
  EXPECT_NE(no_type.error().message.find("no struct type runtime.nosuchtype"), std::string::npos)
      << no_type.error().message;
  auto nested = dwarf->member_offset("runtime.g", "sched.nosuch");
  ASSERT_FALSE(nested);
  EXPECT_EQ(nested.error().message,
            "runtime.g has no member sched.nosuch (runtime.gobuf has no member nosuch)");
  auto not_struct = dwarf->member_offset("runtime.g", "m.id");  // m is a pointer
  ASSERT_FALSE(not_struct);
  EXPECT_EQ(not_struct.error().message.rfind("runtime.g has no member m.id (", 0), 0u)
      << not_struct.error().message;
}

TEST_P(DwarfTest, ArrayElementPath) {
  auto dwarf = Dwarf::open(path());
  ASSERT_TRUE(dwarf) << dwarf.error().message;
  auto first = dwarf->member_offset("runtime.mstats", "heapStats.stats[0]");
  auto second = dwarf->member_offset("runtime.mstats", "heapStats.stats[1]");
  auto base = dwarf->member_offset("runtime.mstats", "heapStats.stats");
  auto size = dwarf->type_size("runtime.heapStatsDelta");
  ASSERT_TRUE(first && second && base && size);
  EXPECT_EQ(*first, *base);
  EXPECT_EQ(*second - *first, *size);
  auto out_of_range = dwarf->member_offset("runtime.mstats", "heapStats.stats[3]");
  ASSERT_FALSE(out_of_range);
  EXPECT_NE(out_of_range.error().message.find("out of range"), std::string::npos);
}

TEST_P(DwarfTest, GlobalAddressesMatchGoToolNm) {
  auto dwarf = Dwarf::open(path());
  ASSERT_TRUE(dwarf) << dwarf.error().message;
  for (const char* name : {"runtime.sched", "runtime.gcController", "runtime.memstats",
                           "runtime.buildVersion", "os.Stdout"}) {
    auto address = dwarf->global_address(name);
    ASSERT_TRUE(address) << address.error().message;
    EXPECT_EQ(*address, nm_data_address(path(), name)) << name;
  }
  auto missing = dwarf->global_address("runtime.noSuchGlobal");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("no global variable runtime.noSuchGlobal"),
            std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Toolchains, DwarfTest, ::testing::ValuesIn(probe_binaries({"", "-pie"})),
                         [](const auto& info) {
                           return param_name(info.param.label + info.param.variant);
                         });

class DwarfStrippedTest : public ::testing::TestWithParam<ProbeBinary> {};

TEST_P(DwarfStrippedTest, OpenSaysStripped) {
  std::string path = GetParam().path("gc");
  auto dwarf = Dwarf::open(path);
  ASSERT_FALSE(dwarf);
  EXPECT_EQ(dwarf.error().message, path + " has no DWARF (stripped?)");
}

INSTANTIATE_TEST_SUITE_P(Toolchains, DwarfStrippedTest,
                         ::testing::ValuesIn(probe_binaries({"-stripped"})),
                         [](const auto& info) { return param_name(info.param.label); });

TEST(DwarfOpen, MissingFileAndNonElf) {
  auto missing = Dwarf::open("/nonexistent/gri-binary");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("/nonexistent/gri-binary"), std::string::npos);
  TempDir dir;
  std::string text = dir.path() + "/text";
  run_command("echo hello > " + text);
  auto not_elf = Dwarf::open(text);
  ASSERT_FALSE(not_elf);
  EXPECT_NE(not_elf.error().message.find("not an ELF file"), std::string::npos)
      << not_elf.error().message;
}

}  // namespace
