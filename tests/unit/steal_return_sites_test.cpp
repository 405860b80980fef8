// Where gri steal reads runtime.runqgrab's result, checked against go tool objdump of every
// toolchain's go-probes/steal: runqsteal's CALL runqgrab and the JE after its TESTL AX, AX, and (the
// fallback) the RETs of runqgrab other than the one of the block that starts XORL AX, AX.
#include "exp/steal/return_sites.h"

#include <gtest/gtest.h>

#include <sstream>

#include "exp/steal/workload.h"
#include "go_probes.h"
#include "goelf/go_binary.h"
#include "probe/go_uprobe.h"

namespace {

using namespace gri::test;

// The instruction lines of `go tool objdump` output, and the address each holds:
// "  proc.go:7662\t\t0x4593c0\t\t493b6610\t\tCMPQ SP, 0x10(R14)".
std::vector<std::string> instructions(const std::string& dump) {
  std::istringstream lines(dump);
  std::vector<std::string> out;
  for (std::string l; std::getline(lines, l);) {
    if (l.find("\t0x") != std::string::npos) out.push_back(l);
  }
  return out;
}

uint64_t address(const std::string& line) {
  return std::stoull(line.substr(line.find("\t0x") + 1), nullptr, 16);
}

class StealReturnSitesTest : public ::testing::TestWithParam<ProbeBinary> {};

TEST_P(StealReturnSitesTest, RunqgrabReturnZeroIsFound) {
  std::string path = GetParam().path("steal");
  auto bin = gri::goelf::GoBinary::open(path);
  ASSERT_TRUE(bin) << bin.error().message;
  auto point = gri::probe::resolve_probe_point(*bin, "runtime.runqgrab");
  ASSERT_TRUE(point) << point.error().message;
  auto code = bin->elf().read(point->addr, point->size);
  ASSERT_TRUE(code);
  auto zeros = gri::exp::steal::constant_zero_returns(bin->elf().arch(), *code, point->addr);
  ASSERT_TRUE(zeros) << zeros.error().message;
  ASSERT_EQ(zeros->size(), 1u);
  // Oracle: objdump's instruction before the RET's epilogue is XORL AX, AX, and runqgrab has
  // three returns (return 1, return 0, return n: Go 1.19-1.27 src/runtime/proc.go).
  EXPECT_EQ(point->ret_offsets.size(), 3u);
  // A stripped binary has no symbols for objdump: the plain build of the same toolchain has
  // the same code. Offsets from the function's start compare across the two.
  std::string oracle = GetParam().variant == "-stripped" ? probe_path(GetParam().label, "steal") : path;
  std::string dump = run_command(go_command() + " tool objdump -s '^runtime.runqgrab$' " + oracle);
  std::vector<std::string> insns = instructions(dump);
  ASSERT_FALSE(insns.empty()) << dump;
  uint64_t ret_addr = address(insns.front()) + zeros->front();
  size_t i = 0;
  while (i < insns.size() && address(insns[i]) != ret_addr) i++;
  ASSERT_LT(i, insns.size()) << ret_addr << " not in\n" << dump;
  EXPECT_NE(insns[i].find("RET"), std::string::npos) << insns[i];
  bool xor_before = false;
  for (size_t k = i; k > 0 && k + 4 > i; k--) {
    if (insns[k - 1].find("XORL AX, AX") != std::string::npos) xor_before = true;
  }
  EXPECT_TRUE(xor_before) << dump;
}

TEST_P(StealReturnSitesTest, RunqstealTestsTheResult) {
  std::string path = GetParam().path("steal");
  auto bin = gri::goelf::GoBinary::open(path);
  ASSERT_TRUE(bin) << bin.error().message;
  auto grab = gri::probe::resolve_probe_point(*bin, "runtime.runqgrab");
  auto steal = gri::probe::resolve_probe_point(*bin, "runtime.runqsteal");
  ASSERT_TRUE(grab && steal);
  auto code = bin->elf().read(steal->addr, steal->size);
  ASSERT_TRUE(code);
  auto sites = gri::exp::steal::call_sites(bin->elf().arch(), *code, steal->addr, grab->addr);
  ASSERT_TRUE(sites) << sites.error().message;
  std::string oracle = GetParam().variant == "-stripped" ? probe_path(GetParam().label, "steal") : path;
  std::string dump = run_command(go_command() + " tool objdump -s '^runtime.runqsteal$' " + oracle);
  std::vector<std::string> insns = instructions(dump);
  ASSERT_GE(insns.size(), 3u) << dump;
  uint64_t at = address(insns.front()) + sites->test_jump;
  size_t i = 0;
  while (i < insns.size() && address(insns[i]) != at) i++;
  ASSERT_TRUE(i >= 2 && i < insns.size()) << at << " not in\n" << dump;
  EXPECT_NE(insns[i].find("\tJE "), std::string::npos) << insns[i];
  EXPECT_NE(insns[i - 1].find("TESTL AX, AX"), std::string::npos) << insns[i - 1];
  // Go 1.19 puts a NOPL between the CALL and the test.
  uint64_t call = address(insns.front()) + sites->call;
  size_t c = i - 2;
  if (c > 0 && insns[c].find("NOPL") != std::string::npos) c--;
  EXPECT_EQ(address(insns[c]), call) << dump;
  EXPECT_NE(insns[c].find("CALL runtime.runqgrab(SB)"), std::string::npos) << insns[c];
  // runqsteal is runqgrab's only caller: a probe there sees every call.
  std::string all = run_command(go_command() + " tool objdump " + oracle +
                                " | grep -c 'CALL runtime.runqgrab(SB)'");
  EXPECT_EQ(std::stoi(all), 1);
}

TEST(StealWorkload, ParsesTheProbeLine) {
  auto r = gri::exp::steal::parse_spawner_run(
      "noise\nsteal-probe: created=9600 ran=9600 bursts=300 gomaxprocs=2 spawner_p=1 "
      "spawner_share=1.000 elapsed_s=0.2\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->created, 9600u);
  EXPECT_EQ(r->ran, 9600u);
  EXPECT_EQ(r->gomaxprocs, 2);
  EXPECT_EQ(r->spawner_p, 1);
  EXPECT_DOUBLE_EQ(r->spawner_share, 1.0);
  EXPECT_FALSE(gri::exp::steal::parse_spawner_run("steal-probe: created=x"));
  EXPECT_FALSE(gri::exp::steal::parse_spawner_run(""));
}

INSTANTIATE_TEST_SUITE_P(Toolchains, StealReturnSitesTest,
                         ::testing::ValuesIn(probe_binaries({"", "-stripped", "-pie"})),
                         [](const auto& info) {
                           return param_name(info.param.label + info.param.variant);
                         });

}  // namespace
