#include "lab/outcomes.h"

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "exp/figures.h"
#include "report/html.h"

namespace gri::lab {

namespace {

std::string minutes(double s) {
  return s >= 60 ? fmt::format("{}m{:02}s", static_cast<int>(s) / 60, static_cast<int>(s) % 60)
                 : fmt::format("{:.0f}s", s);
}

// "gc --crosscheck" -> "gc-crosscheck": a file name from a workload.
std::string slug(std::string_view text) {
  std::string out;
  for (char c : text) {
    bool keep = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_';
    if (keep) out += c;
    else if (!out.empty() && out.back() != '-') out += '-';
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

}  // namespace

void Outcomes::expect_runs(size_t runs) {
  expected_runs_ = runs;
  started_ = last_run_ = std::chrono::steady_clock::now();
}

void Outcomes::ran(std::string_view workload, std::string_view go) {
  if (!runs_.insert({experiment_, std::string(workload), std::string(go)}).second) return;
  auto now = std::chrono::steady_clock::now();
  double run_s = std::chrono::duration<double>(now - last_run_).count();
  double so_far = std::chrono::duration<double>(now - started_).count();
  last_run_ = now;
  size_t done = runs_.size(), total = std::max(expected_runs_, done);
  std::string left = done < total ? fmt::format(", about {} left", minutes(so_far / static_cast<double>(done) * static_cast<double>(total - done)))
                                  : "";
  fmt::print(stderr, "[{}/{}] {} {} {}: {:.1f} s; {} so far{}\n", done, total, experiment_, go,
             workload, run_s, minutes(so_far), left);
  std::fflush(stderr);
}

void Outcomes::report(std::string_view workload, std::string_view go, const report::Report& r) {
  ran(workload, go);
  if (pages_dir_.empty()) return;
  std::string name = fmt::format("{}-{}-{}.html", experiment_, go, slug(workload));
  std::filesystem::path dir = std::filesystem::path(pages_dir_) / "reports";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  std::ofstream page(dir / name);
  page << report::render_html(r, exp::figures(r));
  if (!page) {
    fmt::print(stderr, "gri lab: cannot write {}\n", (dir / name).string());
    return;
  }
  pages_[{experiment_, std::string(workload), std::string(go)}] = "reports/" + name;
}

void Outcomes::add(Outcome o, std::string_view hypothesis) {
  ran(o.workload, o.go);
  auto page = pages_.find({o.experiment, o.workload, o.go});
  if (page != pages_.end()) o.page = page->second;
  std::string tag = o.as_expected() ? fmt::format("[{}, as expected]", o.observed)
                                    : fmt::format("[{}, EXPECTED {}]", o.observed, o.expected);
  std::string what = hypothesis.empty() ? o.id : fmt::format("{}: {}", o.id, hypothesis);
  fmt::print("  {:<7} {} {}: {}\n", o.go, tag, what, o.evidence);
  std::fflush(stdout);
  outcomes_.push_back(std::move(o));
}

void Outcomes::verdict(std::string_view workload, std::string_view go, const report::Verdict& v,
                       std::string_view expected) {
  add({experiment_, std::string(workload), std::string(go), v.id, std::string(expected), v.result,
       v.evidence, ""},
      v.hypothesis);
}

void Outcomes::failed(std::string_view workload, std::string_view go, std::string_view message) {
  add({experiment_, std::string(workload), std::string(go), experiment_ + ".run", "verified",
       "error", std::string(message), ""},
      fmt::format("{} ran", workload));
}

size_t Outcomes::unexpected() const {
  size_t n = 0;
  for (const Outcome& o : outcomes_) n += !o.as_expected();
  return n;
}

std::string Outcomes::summary() const {
  std::string out = fmt::format("{} of {} verdicts as expected\n", outcomes_.size() - unexpected(),
                                outcomes_.size());
  for (const Outcome& o : outcomes_) {
    if (o.as_expected()) continue;
    out += fmt::format("  unexpected: {} {} {}: {} {}, expected {}: {}\n", o.experiment, o.workload,
                       o.go, o.id, o.observed, o.expected, o.evidence);
  }
  return out;
}

nlohmann::ordered_json Outcomes::json() const {
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const Outcome& o : outcomes_) {
    rows.push_back({{"experiment", o.experiment}, {"workload", o.workload}, {"go", o.go},
                    {"id", o.id}, {"expected", o.expected}, {"observed", o.observed},
                    {"as_expected", o.as_expected()}, {"evidence", o.evidence},
                    {"page", o.page.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(o.page)}});
  }
  return {{"schema", "gri.lab/1"},
          {"verdicts", outcomes_.size()},
          {"as_expected", outcomes_.size() - unexpected()},
          {"outcomes", std::move(rows)}};
}

}  // namespace gri::lab
