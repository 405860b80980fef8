#include "session/session.h"

#include <chrono>

#include "snapshot/snapshot.h"

namespace gri::session {

namespace {
// A launched command's runtime sets up its Ps within this (allp is empty before).
constexpr std::chrono::milliseconds kRuntimeSetUp{100};
}  // namespace

Result<SessionEnd> run_session(probe::Target& t, std::optional<double> duration_s) {
  using std::chrono::milliseconds;
  SessionEnd out;
  out.gomaxprocs_why = "the target exited before its runtime could be read";
  auto read_gomaxprocs = [&] {
    auto snap = snapshot::Snapshotter::open(t.pid());
    auto taken = snap ? snap->take() : Result<snapshot::RuntimeSnapshot>(snap.error());
    if (!taken) {
      out.gomaxprocs_why = taken.error().message;
    } else if (taken->gomaxprocs > 0) {
      out.gomaxprocs = taken->gomaxprocs;
    }
  };
  if (!t.launched()) read_gomaxprocs();

  auto started = std::chrono::steady_clock::now();
  if (auto st = t.start(); !st) return st.error();
  std::optional<milliseconds> limit;
  if (duration_s) limit = milliseconds(static_cast<int64_t>(*duration_s * 1000));
  Result<probe::Target::End> end = probe::Target::End::kDuration;
  if (t.launched() && (!limit || *limit > kRuntimeSetUp)) {
    end = t.wait(kRuntimeSetUp);
    if (end && *end == probe::Target::End::kDuration) {
      read_gomaxprocs();
      end = t.wait(limit ? std::optional(*limit - kRuntimeSetUp) : std::nullopt);
    }
  } else {
    end = t.wait(limit);
  }
  if (!end) return end.error();
  out.end = *end;
  out.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return out;
}

}  // namespace gri::session
