// What every tracing session reports of its target: GOMAXPROCS, read as soon as a launched
// command's runtime has set up its Ps, so that a command of a few milliseconds has it too.
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "go_probes.h"

namespace {

using namespace gri::test;

class SessionTest : public ::testing::TestWithParam<ProbeBinary> {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "skipped: needs root (run tools/test with sudo)";
  }
};

TEST_P(SessionTest, ShortCommandReportsItsGomaxprocs) {
  TempDir dir;
  std::string json = dir.path() + "/r.json";
  // go-probes/gc -n 1 runs about 7 ms; the runtime takes GOMAXPROCS from the environment.
  run_command("GOMAXPROCS=3 " + build_dir() + "/gri gc --json " + json + " -- " +
              GetParam().path("gc") + " -n 1 >/dev/null 2>&1");
  auto j = nlohmann::json::parse(read_file(json));
  EXPECT_EQ(j["target"]["gomaxprocs"], 3) << j["degraded"].dump();
  for (const auto& d : j["degraded"]) EXPECT_NE(d["point"], "target.gomaxprocs") << d.dump();
}

// Stripped binaries have no address for runtime.gomaxprocs yet (issue #12): not instantiated.
INSTANTIATE_TEST_SUITE_P(Toolchains, SessionTest, ::testing::ValuesIn(probe_binaries({"", "-pie"})),
                         [](const auto& info) {
                           return param_name(info.param.label + info.param.variant);
                         });

}  // namespace
