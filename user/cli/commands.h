// Every subcommand of gri, one file each (cli/<name>_command.cpp); main.cpp lists them.
#pragma once

#include "cli/command.h"

namespace gri::cli {

Command add_doctor_command(CLI::App& app);
Command add_inspect_command(CLI::App& app);
Command add_trace_command(CLI::App& app);
Command add_sched_command(CLI::App& app);    // EXP-01
Command add_preempt_command(CLI::App& app);  // EXP-02
Command add_steal_command(CLI::App& app);    // EXP-03
Command add_alloc_command(CLI::App& app);    // EXP-04
Command add_gc_command(CLI::App& app);       // EXP-05
Command add_wb_command(CLI::App& app);       // EXP-06
Command add_maps_command(CLI::App& app);     // EXP-07
Command add_timers_command(CLI::App& app);   // EXP-08
Command add_lab_command(CLI::App& app);

}  // namespace gri::cli
