#include "cli/command.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace gri::cli {

int fail(const std::string& message) {
  fmt::print(stderr, "gri: {}\n", message);
  return kExitFailure;
}

int fail(const Error& error) {
  fmt::print(stderr, "gri: {}\n", error.message);
  return error.usage ? kExitUsage : kExitFailure;
}

int write_json(const report::Report& r, const std::string& path) {
  std::string text = report::render_json(r).dump(2) + "\n";
  if (path == "-") {
    fmt::print("{}", text);
    return 0;
  }
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f || std::fwrite(text.data(), 1, text.size(), f) != text.size() || std::fclose(f) != 0) {
    return fail(fmt::format("cannot write {}: {}", path, std::strerror(errno)));
  }
  return 0;
}

void add_target_options(CLI::App* cmd, TargetArgs& a, const char* pid_help) {
  a.pid_option = cmd->add_option("-p,--pid", a.pid, pid_help);
  a.duration_option = cmd->add_option("-d,--duration", a.duration, "stop after SECONDS");
  cmd->add_option("--json", a.json, "also write the report as JSON to FILE (- : stdout only)");
}

}  // namespace gri::cli
