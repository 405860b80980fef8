#include "exp/gc/counted_run.h"

namespace gri::exp::gc {

Result<CountedRun> run_counted(const probe::ChildOptions& command,
                               std::chrono::milliseconds timeout) {
  auto child = probe::HeldChild::spawn(command);
  if (!child) return child.error();
  auto counter = GcCounter::attach(command.argv.at(0), child->pid());
  if (!counter) return counter.error();
  if (auto st = child->release(); !st) return st.error();
  auto status = child->wait(timeout);
  if (!status) return status.error();
  auto counts = (*counter)->read();
  if (!counts) return counts.error();
  return CountedRun{*counts, *status};
}

}  // namespace gri::exp::gc
