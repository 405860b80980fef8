#include <sstream>

#include "cli/commands.h"
#include "lab/lab.h"

namespace gri::cli {

Command add_lab_command(CLI::App& app) {
  struct State {
    lab::LabOptions options;
    std::string go_versions;
  };
  auto s = std::make_shared<State>();
  CLI::App* cmd = app.add_subcommand("lab", "run experiments on the bundled Go workloads");
  cmd->add_option("experiments", s->options.experiments,
                  "EXP-01 ... EXP-08, command names (gc, sched, ...), or all (default)");
  cmd->add_option("--go", s->go_versions,
                  "comma-separated Go versions, e.g. 1.19,1.26 (default: all built)");
  cmd->add_option("--out", s->options.out_dir,
                  "keep the workloads' logs, lab.json, every run's HTML report and index.html "
                  "(the verdicts by Go release, linking to the reports) in this folder");
  cmd->add_option("--probes", s->options.probes_dir,
                  "folder of built workloads (default: go-probes beside the gri binary)");
  cmd->footer(
      "Each workload is built to produce known verdicts (go-probes/sched -mode lock: EXP-01.lock\n"
      "verified, EXP-01.cpu refuted); every line shows the result beside that expectation, and the\n"
      "lab ends with 'N of M verdicts as expected' and each unexpected one. With --out, DIR/lab.json\n"
      "holds them all, DIR/index.html shows them as a table by Go release, each cell linking to\n"
      "its run's page in DIR/reports/. Progress goes to stderr as runs end ([12/64] EXP-05 go1.22\n"
      "..., with the time so far and an estimate of the rest). Exit status 0 when every verdict\n"
      "came as expected, 1 otherwise.\n\n"
      "EXAMPLES:\n"
      "  sudo gri lab all\n"
      "  sudo gri lab EXP-05 --go 1.19,1.27 --out /tmp/lab\n"
      "  sudo gri lab all --out /tmp/lab && chromium /tmp/lab/index.html\n");
  return {cmd, false, [s](const std::vector<std::string>&) {
            if (geteuid() != 0) return fail("lab attaches BPF probes and needs root: run it as root or with sudo");
            std::stringstream ss(s->go_versions);
            std::string v;
            while (std::getline(ss, v, ',')) {
              if (!v.empty()) s->options.go_versions.push_back(v);
            }
            auto ok = lab::run_lab(s->options);
            if (!ok) return fail(ok.error());
            return *ok ? 0 : kExitFailure;
          }};
}

}  // namespace gri::cli
