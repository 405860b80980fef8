#include "lab/lab.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "exp/registry.h"
#include "lab/index.h"
#include "lab/outcomes.h"

namespace gri::lab {

namespace fs = std::filesystem;

namespace {

std::string default_probes_dir() {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? "go-probes" : (self.parent_path() / "go-probes").string();
}

// go1.19, go1.26, ... built into probes_dir, filtered by the --go list.
Result<std::vector<std::string>> toolchains(const LabOptions& o, const std::string& dir) {
  std::vector<std::string> all;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (entry.is_directory() && name.starts_with("go1.")) all.push_back(name);
  }
  if (ec || all.empty()) {
    return make_error("no workloads in {}: build them with tools/build, or pass --probes", dir);
  }
  std::sort(all.begin(), all.end(), [](const std::string& a, const std::string& b) {
    return std::stoi(a.substr(4)) < std::stoi(b.substr(4));
  });
  if (o.go_versions.empty()) return all;
  std::vector<std::string> picked;
  for (std::string v : o.go_versions) {
    if (!v.starts_with("go")) v = "go" + v;
    if (std::find(all.begin(), all.end(), v) == all.end()) {
      return make_usage_error("no workloads built with {} in {} (built: {})", v, dir,
                              fmt::join(all, ", "));
    }
    picked.push_back(v);
  }
  return picked;
}

}  // namespace

Result<bool> run_lab(const LabOptions& o) {
  std::vector<const exp::Experiment*> selected;
  bool all = o.experiments.empty() ||
             std::find(o.experiments.begin(), o.experiments.end(), "all") != o.experiments.end();
  if (all) {
    for (const auto& e : exp::experiments()) selected.push_back(&e);
  } else {
    for (const std::string& name : o.experiments) {
      const exp::Experiment* e = exp::find_experiment(name);
      if (!e) {
        return make_usage_error("unknown experiment '{}': use EXP-01..EXP-08, a command, or all",
                                name);
      }
      selected.push_back(e);
    }
  }
  std::string probes = o.probes_dir.empty() ? default_probes_dir() : o.probes_dir;
  auto versions = toolchains(o, probes);
  if (!versions) return versions.error();

  std::string logs = o.out_dir;
  if (logs.empty()) {
    char tmpl[] = "/tmp/gri-lab.XXXXXX";
    if (!mkdtemp(tmpl)) return make_error("cannot create a folder for logs in /tmp");
    logs = tmpl;
  } else {
    std::error_code ec;
    fs::create_directories(logs, ec);
    if (ec) return make_error("cannot create {}: {}", logs, ec.message());
  }

  fmt::print("gri lab: workloads built with {} in {}\n", fmt::join(*versions, ", "), probes);
  if (!o.out_dir.empty()) fmt::print("logs in {}\n", logs);
  fmt::print("\n");
  exp::LabContext ctx{probes, *versions, logs};
  Outcomes outcomes;
  if (!o.out_dir.empty()) outcomes.keep_pages(logs);
  size_t runs = 0;
  for (const exp::Experiment* e : selected) {
    if (e->lab) runs += static_cast<size_t>(e->lab_runs) * versions->size();
  }
  outcomes.expect_runs(runs);
  std::vector<std::string> not_built;
  auto started = std::chrono::steady_clock::now();
  for (const exp::Experiment* e : selected) {
    if (!e->lab) {
      not_built.push_back(fmt::format("{} gri {}", e->id, e->command));
      continue;
    }
    fmt::print("{} gri {}: {}\n", e->id, e->command, e->question);
    if (!e->built.empty()) {
      fmt::print("  built so far: {}; the rest is issue #{}\n", e->built, e->issue);
    }
    std::fflush(stdout);
    outcomes.begin(e->id);
    e->lab(ctx, outcomes);
    fmt::print("\n");
  }
  if (!not_built.empty()) fmt::print("not built yet: {}\n", fmt::join(not_built, "; "));
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (outcomes.all().empty()) {
    return make_error("nothing ran: {} not built yet", fmt::join(not_built, "; "));
  }
  fmt::print("gri lab: {} verdicts of {} experiments in {:.0f} s\n", outcomes.all().size(),
             selected.size() - not_built.size(), seconds);
  fmt::print("{}", outcomes.summary());
  if (o.out_dir.empty()) {
    std::error_code ec;
    fs::remove_all(logs, ec);
  } else {
    std::ofstream json(fs::path(logs) / "lab.json");
    json << outcomes.json().dump(2) << "\n";
    if (!json) return make_error("cannot write {}/lab.json", logs);
    std::ofstream index(fs::path(logs) / "index.html");
    index << render_index(outcomes, *versions, seconds);
    if (!index) return make_error("cannot write {}/index.html", logs);
    fmt::print("index of the reports: {}/index.html\n", logs);
  }
  return outcomes.unexpected() == 0;
}

}  // namespace gri::lab
