#include "exp/gc/container.h"

#include <sys/wait.h>

#include <algorithm>

#include <fmt/format.h>

#include "cgroup/memory_cgroup.h"
#include "exp/gc/experiment.h"

namespace gri::exp::gc {

namespace {

Result<ContainerRun> run_once(const std::string& exe, const std::string& env, uint64_t limit_bytes,
                              const std::string& name) {
  auto cg = cgroup::MemoryCgroup::create(name, limit_bytes);
  if (!cg) return cg.error();
  GcOptions o;
  o.command = {exe};
  o.command_env = {"GOGC=100", env};
  o.command_stdout = "/dev/null";
  o.before_start = [&cg](pid_t pid) { return cg->add(pid); };
  auto r = run_gc(o, [](const std::string&) {});
  if (!r) return r.error();
  auto kills = cg->oom_kills();
  if (!kills) return kills.error();
  ContainerRun run;
  run.env = env;
  run.oom_killed = *kills > 0;
  std::string exit = r->data.value("command_exit", "");
  run.exited_ok = exit == "exited with status 0";
  for (const auto& c : r->data["cycles"]) {
    run.cycles++;
    run.max_goal_bytes = std::max(run.max_goal_bytes, c["heap_goal_bytes"].get<uint64_t>());
  }
  run.report = std::move(*r);
  return run;
}

}  // namespace

Result<ContainerResult> run_container(const std::string& exe, uint64_t cgroup_mib) {
  ContainerResult out;
  out.cgroup_limit_bytes = cgroup_mib << 20;
  out.memory_limit_bytes = out.cgroup_limit_bytes / 10 * 9;
  auto a = run_once(exe, "GOMEMLIMIT=off", out.cgroup_limit_bytes, "gogc");
  if (!a) return a.error();
  auto b = run_once(exe, fmt::format("GOMEMLIMIT={}", out.memory_limit_bytes),
                    out.cgroup_limit_bytes, "memlimit");
  if (!b) return b.error();
  out.gogc_only = std::move(*a);
  out.with_limit = std::move(*b);
  bool verified = out.gogc_only.oom_killed && !out.with_limit.oom_killed &&
                  out.with_limit.exited_ok &&
                  out.with_limit.max_goal_bytes <= out.memory_limit_bytes;
  auto mib = [](uint64_t b) { return static_cast<double>(b) / (1 << 20); };
  out.verdict = {
      "EXP-05.memlimit",
      "GOMEMLIMIT prevents the OOM that GOGC alone does not",
      verified ? "verified" : "refuted",
      fmt::format("in a {} MiB memory cgroup: GOGC=100 alone {} after {} cycles (largest heap "
                  "goal {:.1f} MiB); with GOMEMLIMIT={:.0f} MiB {} after {} cycles (largest "
                  "goal {:.1f} MiB)",
                  cgroup_mib, out.gogc_only.oom_killed ? "was OOM-killed" : "survived",
                  out.gogc_only.cycles, mib(out.gogc_only.max_goal_bytes),
                  mib(out.memory_limit_bytes),
                  out.with_limit.oom_killed ? "was OOM-killed"
                  : out.with_limit.exited_ok ? "finished"
                                             : "failed",
                  out.with_limit.cycles, mib(out.with_limit.max_goal_bytes))};
  return out;
}

}  // namespace gri::exp::gc
