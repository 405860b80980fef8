#include "cli/commands.h"
#include "doctor/doctor.h"

namespace gri::cli {

Command add_doctor_command(CLI::App& app) {
  auto json = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand("doctor", "check that this machine can trace Go with gri");
  cmd->add_flag("--json", *json, "print the checks as JSON");
  cmd->footer(
      "One line per check: pass, warn or fail, what was found, and the fix.\n"
      "Exit status: 0 when gri can trace here, 1 when it cannot.\n"
      "\n"
      "EXAMPLES:\n"
      "  sudo gri doctor\n"
      "  sudo gri doctor --json | jq '.checks[] | select(.status != \"pass\")'\n");
  return {cmd, false, [json](const std::vector<std::string>&) {
            auto sys = doctor::real_system();
            if (!doctor::privileged(*sys)) {
              return fail("doctor needs root (or CAP_BPF and CAP_PERFMON): run it with sudo");
            }
            auto checks = doctor::run_checks(*sys);
            if (*json) {
              fmt::print("{}\n", doctor::to_json(checks).dump(2));
            } else {
              fmt::print("{}", doctor::render_text(checks));
            }
            return doctor::can_trace(checks) ? 0 : kExitFailure;
          }};
}

}  // namespace gri::cli
