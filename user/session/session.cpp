#include "session/session.h"

#include <chrono>
#include <cmath>
#include <cstdlib>

#include "snapshot/snapshot.h"

namespace gri::session {

namespace {
// A launched command's runtime sets up its Ps (schedinit -> procresize) within this; allp is
// empty before. GOMAXPROCS is polled every kSetUpPoll until read: a command that runs a few
// milliseconds (go-probes/gc -n 1: 7 ms) exits long before the whole 100 ms.
constexpr std::chrono::milliseconds kRuntimeSetUp{100};
constexpr std::chrono::milliseconds kSetUpPoll{1};
}  // namespace

Result<double> parse_interval(std::string_view text) {
  std::string s(text);
  char* end = nullptr;
  double v = s.empty() ? 0 : std::strtod(s.c_str(), &end);
  if (s.empty() || end == s.c_str() || *end != '\0' || !std::isfinite(v)) {
    return make_usage_error("'{}' is not a number of seconds (e.g. -i 1 or -i 0.5)", s);
  }
  if (auto ok = check_interval(v); !ok) return ok.error();
  return v;
}

Status check_interval(double v) {
  if (!(v > 0)) return make_usage_error("the interval must be more than 0 seconds, not {}", v);
  if (v < kMinInterval) {
    return make_usage_error("the interval must be at least {} seconds, not {}", kMinInterval, v);
  }
  if (v > kMaxInterval) {
    return make_usage_error("the interval must be at most {} seconds, not {}", kMaxInterval, v);
  }
  return {};
}

void LiveLines::print(const std::string& line) {
  if (lines_ % kRepeat == 0) std::fprintf(out_, "%s\n", header_.c_str());
  std::fprintf(out_, "%s\n", line.c_str());
  std::fflush(out_);
  lines_++;
}

FILE* live_stream(const std::string& command_stdout) {
  return command_stdout == "/dev/stderr" ? stderr : stdout;
}

Result<SessionEnd> run_session(probe::Target& t, std::optional<double> duration_s) {
  return run_session(t, duration_s, Ticker{});
}

Result<SessionEnd> run_session(probe::Target& t, std::optional<double> duration_s,
                               const Ticker& ticker) {
  if (ticker.interval_s) {
    if (auto ok = check_interval(*ticker.interval_s); !ok) {
      return make_usage_error("-i/--interval: {}", ok.error().message);
    }
  }
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
  // A launched command's binary is parsed before it starts (see Snapshotter::open).
  std::optional<std::pair<goelf::GoBinary, goelf::RuntimeLayout>> parsed;
  if (t.launched()) {
    if (auto bin = goelf::GoBinary::open(t.binary())) {
      goelf::RuntimeLayout layout = goelf::resolve_layout(*bin);
      parsed.emplace(std::move(*bin), std::move(layout));
    }
  }
  // A Snapshotter for the target, or nullopt with the reason in gomaxprocs_why.
  auto open_snapshotter = [&]() -> std::optional<snapshot::Snapshotter> {
    auto snap = parsed ? snapshot::Snapshotter::open(t.pid(), parsed->first, parsed->second)
                       : snapshot::Snapshotter::open(t.pid());
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
  if (end && *end == probe::Target::End::kDuration) {
    if (ticker.interval_s && ticker.tick) {
      // Ticks on a fixed grid from the start (no drift from the time a tick takes); a tick
      // missed while an earlier one ran is skipped, not run late.
      const auto period = std::chrono::duration<double>(*ticker.interval_s);
      int64_t k = 1;
      auto tick_at = [&](int64_t n) {
        return started +
               std::chrono::duration_cast<Clock::duration>(period * static_cast<double>(n));
      };
      while (end && *end == probe::Target::End::kDuration) {
        auto now = Clock::now();
        if (now >= tick_at(k)) {
          if (left() && left()->count() == 0) break;  // the duration is over: no tick at the end
          ticker.tick(std::chrono::duration<double>(now - started).count());
          while (Clock::now() >= tick_at(k)) k++;
          continue;
        }
        // Rounded up: a wait that returns a little before the tick just loops once more.
        auto to_tick = std::chrono::ceil<milliseconds>(tick_at(k) - now);
        auto l = left();
        if (l && *l <= to_tick) {
          end = t.wait(*l);
          break;
        }
        end = t.wait(to_tick);
      }
    } else {
      end = t.wait(left());
    }
  }
  if (!end) return end.error();
  out.end = *end;
  out.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return out;
}

}  // namespace gri::session
