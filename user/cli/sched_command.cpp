#include "cli/commands.h"
#include "exp/sched/experiment.h"

namespace gri::cli {

Command add_sched_command(CLI::App& app) {
  return tracing_command<exp::sched::SchedOptions>(
      app, "sched", "EXP-01: load across Ps; is a program CPU-saturated or lock-contended",
      "a live process",
      "Per P, from snapshots of the runtime's memory (nothing runs in the target): local run\n"
      "queue length and runnext, status (idle, running, syscall, GC stop), schedule rounds;\n"
      "the global run queue, idle Ps and spinning Ms: GODEBUG=schedtrace without GODEBUG, at\n"
      "any rate. A census of the goroutines counts those parked on sync mutexes. Per thread,\n"
      "from sched_switch/sched_wakeup: time on a CPU, runnable waiting for one, and blocked,\n"
      "split by the Go function it blocked in (runtime lock, netpoll, idle, ...). Verdicts:\n"
      "CPU-saturated (Ps busy, goroutines queued) vs lock-contended (goroutines waiting on\n"
      "locks more than for a P). --deep adds entry uprobes on runtime.findRunnable and\n"
      "runtime.execute: rounds per P, time spent finding work, and where it came from (local,\n"
      "global, netpoll, steal); it costs two probe hits per schedule round, printed first.\n"
      "-i SECONDS prints a line every interval while it runs, before the report: idle Ps,\n"
      "goroutines queued and spinning Ms (averages over the interval's snapshots), and the\n"
      "threads' time runnable waiting for a CPU in the interval.\n"
      "\n"
      "EXAMPLES:\n"
      "  sudo gri sched -p 4242 -d 10\n"
      "  sudo gri sched -p 4242 -i 1\n"
      "  sudo gri sched --rate 1000 -d 5 -p 4242\n"
      "  sudo gri sched --deep -d 2 -p 4242\n"
      "  sudo gri sched --crosscheck -- ./server\n"
      "  sudo gri sched --json sched.json -- ./batch-job\n",
      [](CLI::App* cmd, exp::sched::SchedOptions& o) {
        cmd->add_option("--rate", o.rate_hz, "snapshots per second (default 100)");
        cmd->add_flag("--deep", o.deep,
                      "probe every schedule round (findRunnable, execute): costs the target");
        cmd->add_flag("--crosscheck", o.crosscheck,
                      "with -- CMD: run it with GODEBUG=schedtrace=100 and compare its queues");
        add_interval_option(cmd, o.live_interval_s,
                            "print a line every SECONDS (at least 0.1) while tracing, like vmstat");
      },
      exp::sched::run_sched);
}

}  // namespace gri::cli
