#include "cli/command.h"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "exp/figures.h"
#include "report/html.h"
#include "report/perfetto.h"
#include "report/pprof.h"
#include "session/session.h"

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
  return command == "gc" || command == "wb" || command == "sched" || command == "preempt" ||
         command == "steal";
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

void add_interval_option(CLI::App* cmd, std::optional<double>& into, const char* help,
                         std::function<void(double)> also) {
  cmd->add_option_function<std::string>(
         "-i,--interval",
         [&into, also](const std::string& s) {
           into = *session::parse_interval(s);
           if (also) also(*into);
         },
         help)
      ->type_name("SECONDS")
      ->check(CLI::Validator(
          [](std::string& s) {
            auto v = session::parse_interval(s);
            return v ? std::string() : v.error().message;
          },
          "", "interval"));
}

int write_outputs(const report::Report& r, const TargetArgs& a) {
  int status = 0;
  auto keep = [&](int s) {
    if (s != 0) status = s;
  };
  // Each file with its size and the time its rendering took, on stderr.
  auto write = [&](const std::string& path, const char* what, auto render) {
    auto start = std::chrono::steady_clock::now();
    Result<std::string> content = render();
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (!content) return keep(fail(content.error()));
    int s = write_file(path, *content);
    if (s == 0) {
      fmt::print(stderr, "gri: wrote {} ({}, {:.1f} KB, rendered in {:.1f} ms)\n", path, what,
                 static_cast<double>(content->size()) / 1024, ms);
    }
    keep(s);
  };
  if (!a.json.empty()) keep(write_json(r, a.json));
  if (!a.html.empty()) {
    write(a.html, "HTML", [&] { return Result<std::string>(report::render_html(r, exp::figures(r))); });
  }
  if (!a.perfetto.empty()) write(a.perfetto, "trace events", [&] { return report::render_perfetto(r); });
  if (!a.pprof.empty()) write(a.pprof, "pprof", [&] { return report::render_pprof(r); });
  return status;
}

}  // namespace gri::cli
