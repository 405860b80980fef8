// EXP-06 gri wb on go-probes/wb for every toolchain: buffer flushes only while the GC marks,
// flushes in every cycle of the rewriting workload, never more pointers than a buffer holds.
#include "exp/wb/experiment.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "go_probes.h"
#include "report/render.h"

namespace {

using namespace gri::test;

class WbTest : public ::testing::TestWithParam<ProbeBinary> {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "skipped: needs root (run tools/test with sudo)";
  }
};

TEST_P(WbTest, BarrierOnlyDuringMarkAndBuffered) {
  gri::exp::gc::GcOptions o;
  // One writer and 5 cycles: each flush is a probe hit, and a probed flush lengthens mark.
  o.command = {GetParam().path("wb"), "-n", "5", "-writers", "1"};
  o.command_stdout = "/dev/null";
  auto r = gri::exp::wb::run_wb(o, [](const std::string&) {});
  ASSERT_TRUE(r) << r.error().message;
  auto j = gri::report::render_json(*r);
  EXPECT_EQ(j["experiment"], "EXP-06");
  ASSERT_EQ(j["verdicts"].size(), 2u);
  EXPECT_EQ(j["data"]["flushes_outside_mark"], 0);
  // wbBuf holds 512 pointers on Go 1.19 (2 x 256 entries) and 1.26/1.27 (512 entries),
  // src/runtime/mwbbuf.go; gri reads it from the buffer's own bounds.
  EXPECT_EQ(j["data"]["buffer_capacity"], 512);
  EXPECT_LE(j["data"]["max_pointers_per_flush"].get<uint64_t>(), 512u);
  ASSERT_GE(j["data"]["cycles"].size(), 5u);
  for (const auto& c : j["data"]["cycles"]) EXPECT_GT(c["wb_flushes"].get<uint64_t>(), 0u) << c.dump();
  for (const auto& v : j["verdicts"]) EXPECT_EQ(v["result"], "verified") << v["evidence"];
}

// --exact and --watch: every live node is found by the markers in every cycle (the graph's
// slice points at each of them), and the watched node is reached first by exactly one of the
// write barrier, a mark worker or a mutator, while the barrier is on. A small graph: on go1.19
// every marking probe is single-stepped (tens of us a hit).
TEST_P(WbTest, ExactCountsMarkingAndWatchFollowsOneObject) {
  constexpr int kNodes = 3000;
  gri::exp::gc::GcOptions o;
  // Slow writers (16 iterations a millisecond): with a probe on every marking call (go1.26's
  // wbBufFlush1 calls tryDeferToSpanScan per pointer) a full-speed writer dirties pointers
  // faster than mark can shade them, and cycles took up to minutes.
  o.command = {GetParam().path("wb"), "-n", "4", "-writers", "1", "-nodes", std::to_string(kNodes),
               "-batch", "16", "-pause", "1ms"};
  o.command_stdout = "/dev/null";
  o.mark_probes = true;
  o.watch = "main.watched";
  auto r = gri::exp::wb::run_wb(o, [](const std::string&) {});
  if (GetParam().variant == "-stripped") {
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("stripped"), std::string::npos) << r.error().message;
    return;
  }
  ASSERT_TRUE(r) << r.error().message;
  auto j = gri::report::render_json(*r);
  EXPECT_NE(j["data"]["mark_probes"].get<std::string>().find("runtime.greyobject"), std::string::npos);
  uint64_t watched_cycles = 0;
  for (const auto& c : j["data"]["cycles"]) {
    const auto& w = c["watch"];
    if (w["addr"] == 0) continue;  // a cycle before main published the address
    watched_cycles++;
    EXPECT_GE(c["grey_calls"].get<uint64_t>(), uint64_t{kNodes}) << c.dump();
    ASSERT_TRUE(w["reached"].get<bool>()) << c.dump();
    EXPECT_TRUE(w["by"] == "write_barrier" || w["by"] == "mark_worker" || w["by"] == "mutator") << c.dump();
    EXPECT_GE(w["reaches"].get<uint64_t>(), 1u);
    // From the sweep-termination pause on: the barrier is on before work.tMark is taken.
    EXPECT_GE(w["after_mark_start_ms"].get<double>(), -c["stw_sweep_term_us"].get<double>() / 1000)
        << c.dump();
    EXPECT_LE(w["after_mark_start_ms"].get<double>(), c["mark_ms"].get<double>()) << c.dump();
  }
  EXPECT_GE(watched_cycles, 4u);
  ASSERT_EQ(j["verdicts"].size(), 3u);
  EXPECT_EQ(j["verdicts"][2]["result"], "verified") << j["verdicts"][2]["evidence"];
}

INSTANTIATE_TEST_SUITE_P(Toolchains, WbTest,
                         ::testing::ValuesIn(probe_binaries({"", "-stripped", "-pie", "-cgo"})),
                         [](const auto& info) {
                           return param_name(info.param.label + info.param.variant);
                         });

}  // namespace
