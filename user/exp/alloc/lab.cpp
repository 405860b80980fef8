#include "exp/alloc/lab.h"

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <regex>

#include <fmt/format.h>

#include "common/text_file.h"
#include "exp/alloc/experiment.h"
#include "goelf/go_binary.h"
#include "lab/outcomes.h"

namespace gri::exp::alloc {

namespace {

namespace fs = std::filesystem;

constexpr int kSmall = 200000;  // allocations of each small kind
constexpr int kLarge = 500;

// Where the workload's sources and its toolchain are: the built binary's own pclntab
// names main.main's file (go-probes/alloc/main.go) and runtime.main's ($GOROOT/src/runtime).
struct BuildPlace {
  std::string probes_root;  // go-probes/
  std::string go;           // $GOROOT/bin/go
};

Result<BuildPlace> build_place(const std::string& binary) {
  auto bin = goelf::GoBinary::open(binary);
  if (!bin) return bin.error();
  auto file_of = [&](const char* fn) -> std::string {
    auto f = bin->find_function(fn);
    if (!f) return "";
    auto frames = bin->pclntab().frames(f->addr);
    return frames.empty() ? "" : frames.back().file;
  };
  std::string main_file = file_of("main.main"), rt = file_of("runtime.main");
  size_t src = rt.rfind("/src/runtime/");
  if (main_file.empty() || src == std::string::npos) {
    return make_error("cannot tell where {} was built from (main.main in {}, runtime.main in {})",
                      binary, main_file, rt);
  }
  return BuildPlace{fs::path(main_file).parent_path().parent_path().string(),
                    rt.substr(0, src) + "/bin/go"};
}

// Runs a shell command; its status.
int shell(const std::string& cmd) {
  int st = std::system(cmd.c_str());
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

std::string quote(const std::string& s) { return "'" + s + "'"; }

}  // namespace

void lab_alloc(const LabContext& ctx, lab::Outcomes& outcomes) {
  fmt::print(
      "  workload: go-probes/alloc, {} x 8 B noscan (tiny), {} x 24 B with pointers, {} x 33 B\n"
      "  noscan, {} x 40 KB; built again with -gcflags=-m for the escape analysis\n",
      kSmall, kSmall, kSmall, kLarge);
  for (const std::string& v : ctx.go_versions) {
    std::string probe = fmt::format("{}/{}/alloc", ctx.probes_dir, v);
    auto place = build_place(probe);
    if (!place) {
      outcomes.failed("alloc", v, place.error().message);
      continue;
    }
    std::string out = fmt::format("{}/EXP-04-{}-alloc", ctx.log_dir, v);
    std::string escape_log = fmt::format("{}/EXP-04-{}.escape", ctx.log_dir, v);
    std::string env = "GOTOOLCHAIN=local GOFLAGS= GOWORK=off CGO_ENABLED=0 ";
    std::string modfile = fmt::format("-modfile={}/{}/go.mod", ctx.probes_dir, v);
    std::string build = fmt::format("cd {} && {}{} build {} -gcflags=-m -o {} ./alloc 2>{}",
                                    quote(place->probes_root), env, quote(place->go), modfile,
                                    quote(out), quote(escape_log));
    if (shell(build) != 0) {
      outcomes.failed("alloc", v, fmt::format("cannot build with -gcflags=-m: see {}", escape_log));
      continue;
    }

    AllocOptions o;
    o.command = {out, "-n", std::to_string(kSmall), "-large", std::to_string(kLarge)};
    o.command_stdout = "/dev/null";
    o.sites = "exact";
    o.sample_hz = 997;  // a short run: tens of samples in the allocator, not a few
    o.escape_report = escape_log;
    o.escape_prefix = "alloc/";
    auto r = run_alloc(o, [](const std::string&) {});
    AllocOptions e = o;
    e.escape_report.clear();
    e.command = {out, "-n", std::to_string(kSmall / 10), "-large", std::to_string(kLarge / 10)};
    e.sites = "none";
    e.exact = true;
    auto x = r ? run_alloc(e, [](const std::string&) {}) : r;
    if (!r || !x) {
      outcomes.failed(!r ? "alloc --sites=exact" : "alloc --exact", v, (!r ? r : x).error().message);
      continue;
    }
    outcomes.report("alloc --sites=exact", v, *r);
    outcomes.report("alloc --exact", v, *x);
    for (const report::Verdict& verdict : r->verdicts) {
      if (verdict.id == "EXP-04.rounding") continue;  // from the --exact run below
      outcomes.verdict("alloc --sites=exact", v, verdict);
      if (verdict.id == "EXP-04.escape") {
        for (const auto& u : r->data["escape"]["unobserved"])
          fmt::print("          reported, not observed: {}\n", u.get<std::string>());
      }
    }
    for (const report::Verdict& verdict : x->verdicts) {
      if (verdict.id == "EXP-04.rounding") outcomes.verdict("alloc --exact", v, verdict);
    }

    // The cost of escaping: the benchmark pair of go-probes/alloc/alloc_test.go.
    std::string bench_log = fmt::format("{}/EXP-04-{}.bench", ctx.log_dir, v);
    std::string bench =
        fmt::format("cd {} && {}{} test {} -run '^$' -bench . -benchtime 2000000x ./alloc >{} 2>&1",
                    quote(place->probes_root), env, quote(place->go), modfile, quote(bench_log));
    if (shell(bench) == 0) {
      std::string text = read_text_file(bench_log).value_or("");
      std::smatch m;
      std::regex re(R"((Benchmark\w+)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op)");
      std::string line;
      for (auto it = std::sregex_iterator(text.begin(), text.end(), re);
           it != std::sregex_iterator(); ++it) {
        line +=
            fmt::format("{}{} {} ns/op", line.empty() ? "" : ", ", (*it)[1].str(), (*it)[2].str());
      }
      fmt::print("  {:<7} escaping costs: {}\n", v, line.empty() ? "no benchmark lines" : line);
    } else {
      fmt::print("  {:<7} the benchmark pair did not run: see {}\n", v, bench_log);
    }
  }
}

}  // namespace gri::exp::alloc
