// The HTML renderer and its charts, on reports made here: every datum one mark, text
// escaped, the verdicts before the charts, and the lab's index cell for cell.
#include <gtest/gtest.h>

#include <string>

#include "exp/figures.h"
#include "lab/index.h"
#include "lab/outcomes.h"
#include "report/html.h"
#include "report/svg.h"

namespace {

using gri::report::Report;
namespace svg = gri::report::svg;

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) n++;
  return n;
}

TEST(SvgTest, EveryDatumIsOneMark) {
  auto line = svg::line_chart("t", "c", {"x", "y", true},
                              {{"a", {{1, 2}, {2, 3}, {3, 1}}}, {"b", {{1, 0}}}}, {{"limit", 5}});
  EXPECT_EQ(line.marks, 4u);
  EXPECT_EQ(count(line.svg, "class=\"mark\""), 4u);
  auto bars = svg::bar_chart("t", "c", {"x", "y", true}, {"p0", "p1", "p2"}, {"s1", "s2"},
                             {{1, 2, 3}, {0, 0, 7}});
  EXPECT_EQ(bars.marks, 6u);
  EXPECT_EQ(count(bars.svg, "class=\"mark\""), 6u);
  auto heat = svg::heat_map("t", "c", "r", "c", {"a", "b"}, {"a", "b", "c"}, {{0, 1, 2}, {3, 0, 0}});
  EXPECT_EQ(heat.marks, 6u);
  EXPECT_EQ(count(heat.svg, "class=\"mark\""), 6u);
  auto hist = svg::histogram("t", "c", {"us", "n", true}, {{1, 2, 5}, {2, 4, 0}, {1000, 2000, 1}});
  EXPECT_EQ(hist.marks, 3u);
  EXPECT_EQ(count(hist.svg, "class=\"mark\""), 3u);
}

TEST(SvgTest, EmptyAndFlatDataStillDraw) {
  auto none = svg::line_chart("t", "c", {"x", "y", true}, {});
  EXPECT_EQ(none.marks, 0u);
  EXPECT_EQ(none.svg.find("nan"), std::string::npos);
  auto flat = svg::line_chart("t", "c", {"x", "y", false}, {{"a", {{5, 7}}}});
  EXPECT_EQ(flat.marks, 1u);
  EXPECT_EQ(flat.svg.find("nan"), std::string::npos);
  EXPECT_EQ(flat.svg.find("inf"), std::string::npos);
}

TEST(SvgTest, ShortNumbersAndEscapes) {
  EXPECT_EQ(svg::short_number(0), "0");
  EXPECT_EQ(svg::short_number(1500), "1500");
  EXPECT_EQ(svg::short_number(15000), "15k");
  EXPECT_EQ(svg::short_number(2500000), "2.5M");
  EXPECT_EQ(svg::short_number(0.25), "0.25");
  EXPECT_EQ(svg::escape("a<b & \"c\">"), "a&lt;b &amp; &quot;c&quot;&gt;");
}

Report gc_report(size_t cycles) {
  Report r;
  r.experiment = "EXP-05";
  r.target = {42, "/x/<gc>", "go1.26.8", 2};
  r.verdicts.push_back({"EXP-05.pacer", "the goal is GOGC% above marked", "verified", "all cycles"});
  r.degraded.push_back({"stw.reason", "not in this release"});
  nlohmann::ordered_json cs = nlohmann::ordered_json::array();
  for (size_t i = 1; i <= cycles; i++) {
    cs.push_back({{"n", i}, {"heap_live_bytes", 4 << 20}, {"heap_at_mark_termination_bytes", 5 << 20},
                  {"heap_marked_bytes", 2 << 20}, {"heap_goal_bytes", 4 << 20},
                  {"memory_limit_bytes", INT64_MAX}, {"stw_sweep_term_us", 30.0},
                  {"stw_mark_term_us", 40.0}});
  }
  r.data["cycles"] = cs;
  r.data["stw"] = nlohmann::ordered_json::array({{{"reason", "GC mark termination"}, {"count", cycles}, {"total_ms", 1.0}, {"max_us", 50.0}}});
  return r;
}

TEST(HtmlTest, GcPageHasOnePointPerCycleAndSeries) {
  Report r = gc_report(7);
  auto figures = gri::exp::figures(r);
  ASSERT_GE(figures.size(), 2u);
  EXPECT_EQ(figures[0].id, "gc-heap");
  EXPECT_EQ(figures[0].marks, 4u * 7);
  EXPECT_EQ(figures[1].marks, 2u * 7);
  std::string page = gri::report::render_html(r, figures);
  EXPECT_NE(page.find("id=\"fig-gc-heap\" data-marks=\"28\""), std::string::npos);
  EXPECT_NE(page.find("/x/&lt;gc&gt;"), std::string::npos) << "the exe name is escaped";
  EXPECT_LT(page.find("EXP-05.pacer"), page.find("<figure")) << "verdicts come first";
  EXPECT_NE(page.find("not in this release"), std::string::npos) << "degraded points are shown";
  EXPECT_NE(page.find("probe hits"), std::string::npos) << "the overhead estimate is shown";
  EXPECT_EQ(page.find("<script"), std::string::npos);
}

TEST(HtmlTest, EveryExperimentDrawsFromAnEmptyReport) {
  for (const char* e : {"EXP-01", "EXP-02", "EXP-03", "EXP-04", "EXP-05", "EXP-06", "EXP-07", "EXP-08", "trace"}) {
    Report r;
    r.experiment = e;
    std::string page = gri::report::render_html(r, gri::exp::figures(r));
    EXPECT_NE(page.find("</html>"), std::string::npos) << e;
  }
}

TEST(LabIndexTest, CellsAreTheOutcomes) {
  gri::lab::Outcomes o;
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  o.begin("EXP-05");
  o.verdict("gc --crosscheck", "go1.19", {"EXP-05.pacer", "", "verified", "ok"});
  o.verdict("gc --crosscheck", "go1.26", {"EXP-05.pacer", "", "refuted", "off by 3%"});
  o.failed("memlimit", "go1.26", "cgroup v1");
  testing::internal::GetCapturedStdout();
  testing::internal::GetCapturedStderr();
  std::string index = gri::lab::render_index(o, {"go1.19", "go1.26"}, 12);
  EXPECT_NE(index.find("1 of 3 verdicts as expected"), std::string::npos);
  EXPECT_EQ(count(index, "<td class=\"cell ok\""), 1u);
  EXPECT_EQ(count(index, "<td class=\"cell unexpected\""), 2u);
  EXPECT_EQ(count(index, "<td class=\"cell none\""), 1u) << "memlimit on go1.19 did not run";
  EXPECT_NE(index.find("refuted (expected verified)"), std::string::npos);
  EXPECT_NE(index.find("error (expected verified)"), std::string::npos);
}

}  // namespace

namespace {

TEST(HtmlTest, MapsAbPageHasOneBarPerVariantAndFigure) {
  Report r;
  r.experiment = "EXP-07";
  auto variant = [](const char* name, double keys_hit) {
    nlohmann::ordered_json v = {{"variant", name}};
    v["per_lookup"] = {{"hit", {{"keys_compared", keys_hit}}}, {"miss", {{"keys_compared", 0.03}}}};
    for (const char* p : {"insert", "hit", "miss"}) {
      v["simulated"][p] = {{"instructions", 100.0}, {"ll_misses", 1.5}};
    }
    v["ns_per_op"]["int64 2^20 keys"] = {{"insert", 80.0}, {"hit", 20.0}};
    return v;
  };
  r.data["ab"] = {{"a", variant("go1.24 swiss", 1.016)}, {"b", variant("go1.24 buckets", 3.0)}};
  auto figures = gri::exp::figures(r);
  ASSERT_EQ(figures.size(), 4u);
  EXPECT_EQ(figures[0].id, "maps-ab-keys");
  EXPECT_EQ(figures[0].marks, 4u);   // hit and miss, two variants
  EXPECT_EQ(figures[1].marks, 6u);   // insert, hit, miss
  EXPECT_EQ(figures[2].marks, 6u);
  EXPECT_EQ(figures[3].marks, 4u);   // two phases both ran
  EXPECT_NE(figures[0].svg.find("hit go1.24 swiss: 1.02"), std::string::npos) << figures[0].svg;
}

}  // namespace
