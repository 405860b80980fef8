#include "session/traced.h"

#include <fmt/format.h>

namespace gri::session {

namespace {
// Calls of gri's own calibration function: enough to time one hit within a few percent.
constexpr uint64_t kCalibrationCalls = 2000;
}  // namespace

Result<Traced> open_traced(std::string_view name, const TargetOptions& o,
                           const std::vector<std::string>& extra_env,
                           const std::string& stderr_path) {
  if (o.pid.has_value() == !o.command.empty()) {
    return make_usage_error("{} takes -p PID or -- CMD ARGS (one of them)", name);
  }
  if (o.duration_s && *o.duration_s <= 0) return make_usage_error("-d must be a positive number of seconds");
  probe::ChildOptions cmd{o.command, o.command_env, o.command_stdout,
                          stderr_path.empty() ? o.command_stderr : stderr_path};
  cmd.extra_env.insert(cmd.extra_env.end(), extra_env.begin(), extra_env.end());
  auto target = o.pid ? probe::Target::attach(*o.pid) : probe::Target::launch(cmd);
  if (!target) return target.error();
  probe::Target& t = **target;
  auto bin = goelf::GoBinary::open(t.binary());
  if (!bin && o.pid) return make_error("PID {} ({}): {}", t.pid(), t.exe(), bin.error().message);
  if (!bin) return bin.error();
  auto cost = probe::run_uprobe_selftest(kCalibrationCalls);
  if (!cost) return make_error("calibration failed: {} (run gri doctor)", cost.error().message);
  return Traced{std::move(*target), std::move(*bin), *cost};
}

void end_session(Traced& traced, const SessionEnd& end) {
  probe::Target& t = *traced.target;
  if (end.end != probe::Target::End::kExited && t.launched()) t.stop(std::chrono::seconds(2));
}

report::Report begin_report(std::string_view experiment, const Traced& traced,
                            const SessionEnd& end) {
  const probe::Target& t = *traced.target;
  report::Report r;
  r.experiment = experiment;
  r.target = {t.pid(), t.exe(), traced.bin.build().go_version, end.gomaxprocs};
  r.duration_s = end.elapsed_s;
  if (!end.gomaxprocs) r.degraded.push_back({"target.gomaxprocs", end.gomaxprocs_why});
  if (t.wait_status()) {
    r.notes.push_back(fmt::format("the command {}", probe::describe_wait_status(*t.wait_status())));
    r.data["command_exit"] = probe::describe_wait_status(*t.wait_status());
  }
  return r;
}

report::Overhead overhead(const probe::SelftestResult& cost, uint64_t emulated_hits,
                          uint64_t stepped_hits) {
  uint64_t hits = emulated_hits + stepped_hits;
  double ns = static_cast<double>(emulated_hits) * cost.ns_per_push_hit +
              static_cast<double>(stepped_hits) * cost.ns_per_hit;
  return {hits, hits ? ns / static_cast<double>(hits) : cost.ns_per_hit, ns / 1e9};
}

std::string how_it_stops(const TargetOptions& o) {
  return o.duration_s ? fmt::format("stops after {} s or Ctrl-C", *o.duration_s)
                      : std::string("Ctrl-C stops");
}

}  // namespace gri::session
