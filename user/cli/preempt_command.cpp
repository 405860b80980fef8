#include "cli/commands.h"
#include "exp/preempt/experiment.h"

namespace gri::cli {

Command add_preempt_command(CLI::App& app) {
  return tracing_command<exp::preempt::PreemptOptions>(
      app, "preempt", "EXP-02: asynchronous preemption of long-running goroutines",
      "a live process",
      "What cuts a goroutine that runs without yielding: sysmon's preemption requests\n"
      "(runtime.preemptone, by caller), the SIGURG signals queued for the process's threads\n"
      "(kernel tracepoint signal_generate), the async preemptions taken (runtime.asyncPreempt2),\n"
      "the time from each thread's signal to its preemption (histogram in us), and how long each\n"
      "preempted slice had run (histogram in ms). All of it fires only when a goroutine ran\n"
      "10 ms without yielding: cheap on any target. The verdict: are tight loops cut every\n"
      "10-20 ms? gri lab EXP-02 runs it on a workload of call-free loops.\n"
      "\n"
      "EXAMPLES:\n"
      "  sudo gri preempt -p 4242 -d 10\n"
      "  sudo gri preempt -- ./cpu-bound-job\n"
      "  sudo GODEBUG=asyncpreemptoff=1 gri preempt --json off.json -- ./cpu-bound-job\n",
      nullptr, exp::preempt::run_preempt);
}

}  // namespace gri::cli
