#include "cli/command.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "exp/figures.h"
#include "report/html.h"
#include "report/perfetto.h"
#include "report/pprof.h"

namespace gri::cli {

int fail(const std::string& message) {
  fmt::print(stderr, "gri: {}\n", message);
  return kExitFailure;
}

int fail(const Error& error) {
  fmt::print(stderr, "gri: {}\n", error.message);
  return error.usage ? kExitUsage : kExitFailure;
}

int write_file(const std::string& path, const std::string& content) {
  // Beside the file, so that the rename stays on one filesystem; a reader of `path` sees the
  // old file or the whole new one.
  const std::string tmp = path + ".gri-tmp";
  FILE* f = std::fopen(tmp.c_str(), "w");
  bool ok = f && std::fwrite(content.data(), 1, content.size(), f) == content.size();
  if (f && std::fclose(f) != 0) ok = false;
  if (ok && std::rename(tmp.c_str(), path.c_str()) == 0) return 0;
  int err = errno;
  std::remove(tmp.c_str());
  return fail(fmt::format("cannot write {}: {}", path, std::strerror(err)));
}

int write_json(const report::Report& r, const std::string& path) {
  std::string text = report::render_json(r).dump(2) + "\n";
  if (path == "-") {
    fmt::print("{}", text);
    return 0;
  }
  return write_file(path, text);
}

bool has_pprof(std::string_view command) { return command == "alloc" || command == "sched"; }

bool has_perfetto(std::string_view command) {
  return command == "gc" || command == "sched" || command == "preempt" || command == "steal";
}

namespace {

// An output file must be writable before the run starts, not found wanting after it.
std::string writable_file(const std::string& path) {
  if (path == "-") return "";
  std::filesystem::path p(path);
  std::error_code ec;
  if (std::filesystem::is_directory(p, ec)) return fmt::format("{} is a directory", path);
  auto dir = p.parent_path().empty() ? std::filesystem::path(".") : p.parent_path();
  if (!std::filesystem::is_directory(dir, ec)) {
    return fmt::format("{}: no directory {}", path, dir.string());
  }
  return "";
}

CLI::Option* file_option(CLI::App* cmd, const char* name, std::string& into, const char* help) {
  return cmd->add_option(name, into, help)->check(CLI::Validator(writable_file, "FILE", "file"));
}

}  // namespace

void add_target_options(CLI::App* cmd, std::string_view name, TargetArgs& a, const char* pid_help) {
  a.pid_option = cmd->add_option("-p,--pid", a.pid, pid_help);
  a.duration_option = cmd->add_option("-d,--duration", a.duration, "stop after SECONDS");
  cmd->add_option("--json", a.json, "also write the report as JSON to FILE (- : stdout only)");
  file_option(cmd, "--html", a.html,
              "also write the report as one self-contained HTML page with charts to FILE");
  if (has_perfetto(name)) {
    file_option(cmd, "--perfetto", a.perfetto,
                "also write the timed events as Chrome trace-event JSON to FILE "
                "(ui.perfetto.dev, chrome://tracing)");
  }
  if (has_pprof(name)) {
    file_option(cmd, "--pprof", a.pprof,
                "also write the stacks as a gzip-compressed profile.proto to FILE "
                "(go tool pprof)");
  }
}

int write_outputs(const report::Report& r, const TargetArgs& a) {
  int status = 0;
  auto keep = [&](int s) {
    if (s != 0) status = s;
  };
  if (!a.json.empty()) keep(write_json(r, a.json));
  if (!a.html.empty()) keep(write_file(a.html, report::render_html(r, exp::figures(r))));
  if (!a.perfetto.empty()) {
    auto text = report::render_perfetto(r);
    keep(text ? write_file(a.perfetto, *text) : fail(text.error()));
  }
  if (!a.pprof.empty()) {
    auto bytes = report::render_pprof(r);
    keep(bytes ? write_file(a.pprof, *bytes) : fail(bytes.error()));
  }
  return status;
}

}  // namespace gri::cli
