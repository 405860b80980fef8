#include "cli/commands.h"
#include "exp/timers/experiment.h"

namespace gri::cli {

Command add_timers_command(CLI::App& app) {
  return tracing_command<exp::timers::TimersOptions>(
      app, "timers", "EXP-08: per-P timer heaps, where timers run, how late, and netpoll",
      "a live process",
      "The target's timer operations, from entry probes on the runtime's timer functions\n"
      "(Go 1.19-1.22: addtimer, modtimer, deltimer, runOneTimer; 1.23+: (*timer).maybeAdd,\n"
      "modify, stop, unlockAndRun), by the P they ran on and by the timer's function, the\n"
      "program's timers apart from the runtime's own (the scavenger's, ...); which P ran the\n"
      "timers of which P's heap; each timer's lateness, from its due time to the start of its\n"
      "run; every P's heap read from memory (timers, deleted ones waiting, the order of the\n"
      "heap array: which arity of min-heap it is); and the target's idle Ms in netpoll: each\n"
      "blocking epoll wait against the timeout the runtime set from its next timer, and the\n"
      "netpollBreak calls made because a new timer was due earlier.\n"
      "Probes: entries only (never a uretprobe) and memory reads of the heaps. By default the\n"
      "timers' runs and netpollBreak; --ops adds every add, modify and delete (a hit per\n"
      "operation: +9% on a program running 48,000 timers a second).\n"
      "--netpoll adds the raw sys_enter/sys_exit tracepoints, filtered to the target's epoll\n"
      "waits (every system call on the machine passes through them: a cost on busy servers).\n"
      "--locks adds runtime.lock2: acquisitions of each P's timers lock, those that found it\n"
      "held, and the time their threads then slept in futex waits.\n"
      "-i SECONDS prints a line every interval while it runs, before the report: adds,\n"
      "modifies, deletes and runs per second (all timers, the runtime's own included), the\n"
      "median lateness of the interval's runs, and the operations so far.\n"
      "\n"
      "EXAMPLES:\n"
      "  sudo gri timers -p 4242 -d 10\n"
      "  sudo gri timers -p 4242 -i 1\n"
      "  sudo gri timers --ops -p 4242 -d 5\n"
      "  sudo gri timers --netpoll --locks -p 4242 -d 5\n"
      "  sudo gri timers -- ./server -port 8080\n"
      "  sudo gri timers --json timers.json --heap-interval 0.2 -- go-probes/timers -idle 5000\n",
      [](CLI::App* cmd, exp::timers::TimersOptions& o) {
        cmd->add_flag("--netpoll", o.netpoll,
                      "the target's blocking epoll waits against its next timer (the raw "
                      "syscall tracepoints: every system call of every process passes them)");
        cmd->add_flag("--ops", o.ops,
                      "count every add, modify and delete by P and timer function (a probe hit "
                      "per operation; --locks does too)");
        cmd->add_flag("--locks", o.locks,
                      "the timers locks' acquisitions, waits and time asleep, per P (a probe on "
                      "runtime.lock2, which every runtime lock calls; its cost is printed first)");
        cmd->add_option("--heap-interval", o.heap_interval_s,
                        "seconds between two reads of the timer heaps (0.05 to 3600)")
            ->capture_default_str();
        add_interval_option(cmd, o.live_interval_s,
                            "print a line every SECONDS (at least 0.1) while tracing, like vmstat");
      },
      exp::timers::run_timers);
}

}  // namespace gri::cli
