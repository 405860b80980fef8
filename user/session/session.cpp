#include "session/session.h"

#include <chrono>

#include "snapshot/snapshot.h"

namespace gri::session {

namespace {
// A launched command's runtime sets up its Ps (schedinit -> procresize) within this; allp is
// empty before. GOMAXPROCS is polled every kSetUpPoll until read: a command that runs a few
// milliseconds (go-probes/gc -n 1: 7 ms) exits long before the whole 100 ms.
constexpr std::chrono::milliseconds kRuntimeSetUp{100};
constexpr std::chrono::milliseconds kSetUpPoll{1};
}  // namespace

Result<SessionEnd> run_session(probe::Target& t, std::optional<double> duration_s) {
  using std::chrono::milliseconds;
  using Clock = std::chrono::steady_clock;
  SessionEnd out;
  const std::string exited = "the target exited before its runtime could be read";
  out.gomaxprocs_why = exited;
  // Reads runtime.gomaxprocs; false when it cannot be read now.
  auto read_gomaxprocs = [&](snapshot::Snapshotter& snap) {
    auto taken = snap.take();
    if (!taken) {
      out.gomaxprocs_why = taken.error().message;
      return false;
    }
    if (taken->gomaxprocs <= 0) return false;
    out.gomaxprocs = taken->gomaxprocs;
    return true;
  };
  // A Snapshotter for the target, or nullopt with the reason in gomaxprocs_why.
  auto open_snapshotter = [&]() -> std::optional<snapshot::Snapshotter> {
    auto snap = snapshot::Snapshotter::open(t.pid());
    if (!snap) {
      out.gomaxprocs_why = snap.error().message;
      return std::nullopt;
    }
    out.load_bias = snap->load_bias();
    if (auto ok = snap->available(); !ok) {
      out.gomaxprocs_why = ok.error().message;
      return std::nullopt;
    }
    return std::move(*snap);
  };
  if (!t.launched()) {
    if (auto snap = open_snapshotter()) read_gomaxprocs(*snap);
  }

  auto started = Clock::now();
  if (auto st = t.start(); !st) return st.error();
  std::optional<milliseconds> limit;
  if (duration_s) limit = milliseconds(static_cast<int64_t>(*duration_s * 1000));
  auto left = [&]() -> std::optional<milliseconds> {
    if (!limit) return std::nullopt;
    auto spent = std::chrono::duration_cast<milliseconds>(Clock::now() - started);
    return std::max(milliseconds(0), *limit - spent);
  };
  Result<probe::Target::End> end = probe::Target::End::kDuration;
  if (t.launched()) {
    // The command has exec'd (start() returns once execve succeeded): its runtime is being set up.
    auto snap = open_snapshotter();
    bool read = false;
    while (snap && end && *end == probe::Target::End::kDuration) {
      if ((read = read_gomaxprocs(*snap))) break;
      if (Clock::now() - started >= kRuntimeSetUp) break;
      auto poll = left() ? std::min(*left(), kSetUpPoll) : kSetUpPoll;
      if (poll.count() == 0) break;
      end = t.wait(poll);
    }
    // Readable, but gone before its runtime was up: say that, not the last failed take.
    if (snap && !read && end && *end != probe::Target::End::kDuration) out.gomaxprocs_why = exited;
  }
  if (end && *end == probe::Target::End::kDuration) end = t.wait(left());
  if (!end) return end.error();
  out.end = *end;
  out.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return out;
}

}  // namespace gri::session
