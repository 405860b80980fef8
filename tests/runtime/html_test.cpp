// Every experiment's HTML report (--html) and gri trace's, of a go-probe run, opened in
// headless Chromium: no console message, a screenshot that is not blank, and every chart's
// drawn marks (dots, bars, cells) as many as the report's data (--json of the same run) has:
// one GC timeline point per cycle and series, one bar per size class, one cell per P pair.
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "go_probes.h"

namespace {

using namespace gri::test;
using json = nlohmann::json;

std::string chromium() {
  for (const char* p : {"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"}) {
    if (access(p, X_OK) == 0) return p;
  }
  return "";
}

// A PNG's pixels, 8-bit RGB or RGBA (what Chromium writes): distinct colours and the share
// of pixels that are not white.
struct PngStats {
  size_t colors = 0;
  double non_white = 0;
  std::string error;
};

uint32_t be32(const std::string& s, size_t at) {
  return (uint32_t(uint8_t(s[at])) << 24) | (uint32_t(uint8_t(s[at + 1])) << 16) |
         (uint32_t(uint8_t(s[at + 2])) << 8) | uint32_t(uint8_t(s[at + 3]));
}

PngStats png_stats(const std::string& png) {
  PngStats st;
  if (png.size() < 8 || png.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0) return {0, 0, "not a PNG"};
  uint32_t width = 0, height = 0, channels = 0;
  std::string idat;
  for (size_t at = 8; at + 8 <= png.size();) {
    uint32_t len = be32(png, at);
    std::string type = png.substr(at + 4, 4);
    if (at + 12 + len > png.size()) return {0, 0, "a chunk runs past the end"};
    if (type == "IHDR") {
      width = be32(png, at + 8), height = be32(png, at + 12);
      uint8_t depth = uint8_t(png[at + 16]), color = uint8_t(png[at + 17]);
      if (depth != 8 || (color != 2 && color != 6) || png[at + 20] != 0) {
        return {0, 0, "not 8-bit RGB(A) without interlace"};
      }
      channels = color == 2 ? 3 : 4;
    } else if (type == "IDAT") {
      idat += png.substr(at + 8, len);
    }
    at += 12 + len;
  }
  if (!channels) return {0, 0, "no IHDR"};
  size_t stride = size_t(width) * channels;
  std::string raw((stride + 1) * height, '\0');
  uLongf raw_len = raw.size();
  if (uncompress(reinterpret_cast<Bytef*>(raw.data()), &raw_len,
                 reinterpret_cast<const Bytef*>(idat.data()), idat.size()) != Z_OK ||
      raw_len != raw.size()) {
    return {0, 0, "IDAT does not inflate to the image"};
  }
  std::vector<uint8_t> prev(stride, 0), cur(stride);
  std::set<uint32_t> colors;
  uint64_t non_white = 0;
  for (uint32_t y = 0; y < height; y++) {
    const uint8_t* line = reinterpret_cast<const uint8_t*>(raw.data()) + y * (stride + 1);
    uint8_t filter = line[0];
    for (size_t x = 0; x < stride; x++) {
      int a = x >= channels ? cur[x - channels] : 0, b = prev[x], c = x >= channels ? prev[x - channels] : 0;
      int v = line[1 + x], pred = 0;
      switch (filter) {
        case 0: pred = 0; break;
        case 1: pred = a; break;
        case 2: pred = b; break;
        case 3: pred = (a + b) / 2; break;
        case 4: {
          int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
          pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default: return {0, 0, "bad filter"};
      }
      cur[x] = uint8_t(v + pred);
    }
    for (size_t x = 0; x < width; x++) {
      const uint8_t* px = &cur[x * channels];
      uint32_t rgb = (uint32_t(px[0]) << 16) | (uint32_t(px[1]) << 8) | px[2];
      colors.insert(rgb);
      non_white += rgb != 0xffffff;
    }
    std::swap(prev, cur);
  }
  st.colors = colors.size();
  st.non_white = double(non_white) / (double(width) * double(height));
  return st;
}

// The charts of a page as Chromium has it: id -> (data-marks, elements of class "mark").
std::map<std::string, std::pair<size_t, size_t>> charts(const std::string& dom) {
  std::map<std::string, std::pair<size_t, size_t>> out;
  for (size_t at = dom.find("<figure class=\"chart\""); at != std::string::npos;
       at = dom.find("<figure class=\"chart\"", at + 1)) {
    size_t end = dom.find("</figure>", at);
    std::string fig = dom.substr(at, end - at);
    auto attr = [&](const std::string& name) {
      size_t a = fig.find(name + "=\"");
      if (a == std::string::npos) return std::string();
      a += name.size() + 2;
      return fig.substr(a, fig.find('"', a) - a);
    };
    size_t marks = 0;
    for (size_t m = fig.find("class=\"mark\""); m != std::string::npos; m = fig.find("class=\"mark\"", m + 1)) marks++;
    out[attr("id")] = {std::stoul(attr("data-marks")), marks};
  }
  return out;
}

size_t size_of(const json& j) { return j.is_array() || j.is_object() ? j.size() : 0; }

// What each chart must draw, from the report's JSON.
size_t expected_marks(const std::string& id, const json& r) {
  const json& d = r["data"];
  auto hist = [&](const json& h) { return h.is_object() ? size_of(h.value("hist", json::array())) : 0; };
  if (id == "fig-gc-heap") return 4 * size_of(d["cycles"]);
  if (id == "fig-gc-pauses") return 2 * size_of(d["cycles"]);
  if (id == "fig-gc-stw-reasons") return 2 * size_of(d["stw"]);
  if (id == "fig-wb-flushes") return 2 * size_of(d["cycles"]);
  if (id == "fig-sched-over-time") return 4 * size_of(d["series"]["t_s"]);
  if (id == "fig-sched-runq") return size_of(d["ps"]);
  if (id == "fig-sched-pstates") return 3 * size_of(d["ps"]);
  if (id == "fig-preempt-latency") return hist(d["latency_us"]);
  if (id == "fig-preempt-delivery") return hist(d["latency_us"]["queued_to_delivered"]);
  if (id == "fig-preempt-handler") return hist(d["latency_us"]["delivered_to_preempted"]);
  if (id == "fig-preempt-slices") return hist(d["slice_ms"]);
  if (id == "fig-steal-matrix") return size_of(d["steal_matrix"]) * size_of(d["steal_matrix"]);
  if (id == "fig-steal-attempts") return size_of(d["attempt_matrix"]) * size_of(d["attempt_matrix"]);
  if (id == "fig-steal-sizes") return size_of(d["steal_sizes"]);
  if (id == "fig-alloc-classes" || id == "fig-alloc-class-bytes") return size_of(d["size_classes"]);
  if (id == "fig-alloc-timeline") return size_of(d["timeline"]);
  if (id == "fig-maps-growths") {
    size_t n = 0;
    for (const auto& g : d["growths"]) n += g["us"].is_number();
    return n;
  }
  if (id == "fig-maps-cpu") return 2 * std::min<size_t>(16, size_of(d["cpu"]["functions"]));
  if (id == "fig-timers-lateness") return size_of(d["lateness_us"]["histogram"]);
  if (id == "fig-timers-run-matrix") return size_of(d["run_matrix"]["ps"]) * size_of(d["run_matrix"]["ps"]);
  if (id == "fig-timers-ops") return 4 * size_of(d["ops"]["per_p"]);
  if (id.starts_with("fig-trace-latency-")) {
    return size_of(d["functions"][std::stoul(id.substr(18))]["latency_ns"]["hist"]);
  }
  ADD_FAILURE() << "a chart this test does not know: " << id;
  return 0;
}

struct Page {
  const char* name;        // the test's name
  const char* command;     // gri's subcommand and flags
  const char* probe;       // the go-probe
  const char* args;        // its flags
  std::vector<const char*> charts;  // the charts the page must have
};

const Page kPages[] = {
    {"sched", "sched -d 3", "sched", "-mode imbalance -d 2", {"fig-sched-over-time", "fig-sched-runq", "fig-sched-pstates"}},
    {"preempt", "preempt", "preempt", "-ms 400", {"fig-preempt-latency", "fig-preempt-slices"}},
    {"steal", "steal", "steal", "-bursts 100", {"fig-steal-matrix", "fig-steal-attempts"}},
    {"alloc", "alloc", "alloc", "-n 20000 -large 50", {"fig-alloc-classes", "fig-alloc-class-bytes"}},
    {"gc", "gc", "gc", "-n 10", {"fig-gc-heap", "fig-gc-pauses"}},
    {"wb", "wb", "wb", "-n 5", {"fig-wb-flushes"}},
    {"maps", "maps", "maps", "-n 100000 -phases insert,hit", {"fig-maps-growths"}},
    {"timers", "timers", "timers", "-g 4 -n 20 -idle 100", {"fig-timers-lateness", "fig-timers-run-matrix", "fig-timers-ops"}},
    {"trace", "trace -f runtime.gcStart -f runtime.mallocgc", "gc", "-n 10", {"fig-trace-latency-0", "fig-trace-latency-1"}},
};

struct Case {
  Page page;
  std::string go;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.page.name << " " << c.go; }

class HtmlTest : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "skipped: needs root (run tools/test with sudo)";
    if (chromium().empty()) {
      GTEST_SKIP() << "SKIPPED LOUDLY: no headless Chromium (/usr/bin/chromium): tools/setup "
                      "installs Debian's chromium package; on Ubuntu it is a snap, not here";
    }
  }
};

TEST_P(HtmlTest, PageDrawsEveryDatumAndChromiumRendersIt) {
  const Case& c = GetParam();
  TempDir dir;
  std::string html = dir.path() + "/report.html", js = dir.path() + "/report.json";
  // GOMAXPROCS=2 for steal: one thief, as the lab runs it.
  run_command("GOMAXPROCS=2 " + build_dir() + "/gri " + c.page.command + " --html " + html +
              " --json " + js + " -- " + probe_path(c.go, c.page.probe) + " " + c.page.args +
              " >" + dir.path() + "/gri.out 2>&1");
  json report = json::parse(read_file(js));
  std::string page = read_file(html);
  ASSERT_FALSE(page.empty());
  EXPECT_EQ(page.find("http://"), page.find("http://www.w3.org/2000/svg"))
      << "the page links to nothing but the SVG namespace";
  EXPECT_EQ(page.find("https://"), std::string::npos);
  EXPECT_EQ(page.find("<script src"), std::string::npos);
  EXPECT_EQ(page.find("<link"), std::string::npos);

  std::string flags = "--headless --no-sandbox --disable-gpu --hide-scrollbars "
                      "--window-size=1200,2600 --enable-logging=stderr --v=0 ";
  std::string log = dir.path() + "/chromium.log";
  std::string dom = run_command(chromium() + " " + flags + "--dump-dom file://" + html + " 2>" + log);
  std::string console = read_file(log);
  EXPECT_EQ(console.find(":CONSOLE"), std::string::npos) << "console messages:\n" << console;
  EXPECT_EQ(console.find("Uncaught"), std::string::npos) << console;

  run_command("cd " + dir.path() + " && " + chromium() + " " + flags + "--screenshot=" + dir.path() +
              "/shot.png file://" + html + " >/dev/null 2>&1");
  PngStats shot = png_stats(read_file(dir.path() + "/shot.png"));
  ASSERT_TRUE(shot.error.empty()) << shot.error;
  EXPECT_GT(shot.colors, 20u) << "the screenshot is (nearly) blank";
  EXPECT_GT(shot.non_white, 0.02) << "the screenshot is (nearly) blank";

  auto drawn = charts(dom);
  for (const char* want : c.page.charts) {
    ASSERT_TRUE(drawn.count(want)) << "no chart " << want << " in the page";
    EXPECT_GT(drawn[want].first, 0u) << want << " drew nothing";
  }
  for (const auto& [id, marks] : drawn) {
    EXPECT_EQ(marks.first, marks.second) << id << ": data-marks against the marks in the DOM";
    EXPECT_EQ(marks.second, expected_marks(id, report)) << id << ": marks against the report's data";
  }
  std::cout << "[ " << c.page.name << " " << c.go << " ] " << page.size() << " bytes, "
            << drawn.size() << " charts, screenshot " << shot.colors << " colours, "
            << int(shot.non_white * 100) << "% not white\n";
}

std::vector<Case> cases() {
  std::vector<Case> out;
  auto labels = go_labels();
  // The newest runtime for every page (the data's shape is the same on all), and the oldest
  // for the GC timeline too: 7 s a page, mostly Chromium's start.
  for (const Page& p : kPages) out.push_back({p, labels.back()});
  out.push_back({kPages[4], labels.front()});
  return out;
}

INSTANTIATE_TEST_SUITE_P(Experiments, HtmlTest, ::testing::ValuesIn(cases()),
                         [](const auto& info) {
                           return param_name(std::string(info.param.page.name) + "_" + info.param.go);
                         });

}  // namespace
