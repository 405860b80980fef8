// gri lab's record of verdicts beside their expectations, and its summary.
#include "lab/outcomes.h"

#include <gtest/gtest.h>

namespace {

using gri::lab::Outcomes;

TEST(LabOutcomes, CountsAndListsTheUnexpected) {
  Outcomes o;
  testing::internal::CaptureStdout();
  o.begin("EXP-01");
  o.verdict("sched -mode lock", "go1.26", {"EXP-01.cpu", "CPU-saturated", "refuted", "idle 30%"},
            "refuted");
  o.verdict("sched -mode lock", "go1.27", {"EXP-01.lock", "lock-contended", "inconclusive", "no data"});
  o.begin("EXP-02");
  o.failed("preempt", "go1.19", "cannot start command");
  o.verdict("preempt", "go1.19", {"EXP-02.uncut", "loops ran uncut", "verified", "0 SIGURG"});
  std::string printed = testing::internal::GetCapturedStdout();

  EXPECT_NE(printed.find("go1.26  [refuted, as expected] EXP-01.cpu: CPU-saturated: idle 30%"),
            std::string::npos)
      << printed;
  EXPECT_NE(printed.find("go1.27  [inconclusive, EXPECTED verified] EXP-01.lock"), std::string::npos)
      << printed;
  EXPECT_EQ(o.unexpected(), 2u);
  EXPECT_EQ(o.summary(),
            "2 of 4 verdicts as expected\n"
            "  unexpected: EXP-01 sched -mode lock go1.27: EXP-01.lock inconclusive, expected "
            "verified: no data\n"
            "  unexpected: EXP-02 preempt go1.19: EXP-02.run error, expected verified: cannot "
            "start command\n");
  auto j = o.json();
  EXPECT_EQ(j["verdicts"], 4);
  EXPECT_EQ(j["as_expected"], 2);
  EXPECT_EQ(j["outcomes"][0]["expected"], "refuted");
  EXPECT_EQ(j["outcomes"][2]["observed"], "error");
  EXPECT_TRUE(j["outcomes"][3]["as_expected"]);
}

TEST(LabOutcomes, AllAsExpected) {
  Outcomes o;
  EXPECT_EQ(o.summary(), "0 of 0 verdicts as expected\n");
  EXPECT_EQ(o.unexpected(), 0u);
}

}  // namespace
