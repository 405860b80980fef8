#include "report/perfetto.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <tuple>
#include <utility>
#include <vector>

namespace gri::report {

namespace {

using Json = nlohmann::ordered_json;

// The format's times are microseconds; fractions keep the nanoseconds.
double us(int64_t ns) { return static_cast<double>(ns) / 1e3; }

// One event with what orders it: time, then slices before the points inside them (a flow
// end binds to the slice open at its time), then the longer of two slices that start
// together (the parent).
struct Event {
  int64_t ts_ns;
  int rank;
  int64_t dur_ns;
  Json json;
};

Json metadata(const char* what, int pid, int64_t tid, const std::string& name) {
  Json j;
  j["ph"] = "M";
  j["name"] = what;
  j["pid"] = pid;
  j["tid"] = tid;
  j["args"] = {{"name", name}};
  return j;
}

Json sort_index(const char* what, int pid, int64_t tid, int64_t index) {
  Json j;
  j["ph"] = "M";
  j["name"] = what;
  j["pid"] = pid;
  j["tid"] = tid;
  j["args"] = {{"sort_index", index}};
  return j;
}

}  // namespace

// Chrome's trace-event format ("Trace Event Format", the JSON Object Format): what
// ui.perfetto.dev and chrome://tracing both open. A group becomes a process (pid 1, 2, ...
// in the order groups first appear), a track a thread of it (tid: its index + 1).
Result<std::string> render_perfetto(const Report& r) {
  const Timeline& t = r.timeline;
  if (t.empty()) {
    return make_error("--perfetto: this {} run recorded no timed events; nothing to write",
                      r.experiment);
  }
  for (const TimelineSlice& s : t.slices) {
    if (s.track >= t.tracks.size()) {
      return make_error("timeline slice '{}': no track {}", s.name, s.track);
    }
  }
  for (const TimelineInstant& i : t.instants) {
    if (i.track >= t.tracks.size()) {
      return make_error("timeline instant '{}': no track {}", i.name, i.track);
    }
  }
  std::vector<bool> joined(t.instants.size(), false);  // a flow's end
  for (const TimelineFlow& f : t.flows) {
    if (f.from >= t.instants.size() || f.to >= t.instants.size()) {
      return make_error("timeline flow '{}': no instant {} or {}", f.name, f.from, f.to);
    }
    joined[f.from] = joined[f.to] = true;
  }

  std::map<std::string, int> pids;
  std::vector<std::string> groups;
  auto pid_of = [&](const std::string& group) {
    auto [it, added] = pids.try_emplace(group, static_cast<int>(groups.size()) + 1);
    if (added) groups.push_back(group);
    return it->second;
  };
  std::vector<int> track_pid;
  for (const TimelineTrack& tr : t.tracks) track_pid.push_back(pid_of(tr.group));
  for (const TimelineCounter& c : t.counters) pid_of(c.group);
  auto tid_of = [](size_t track) { return static_cast<int64_t>(track) + 1; };

  Json events = Json::array();
  for (size_t g = 0; g < groups.size(); ++g) {
    int pid = static_cast<int>(g) + 1;
    events.push_back(metadata("process_name", pid, 0, groups[g]));
    events.push_back(sort_index("process_sort_index", pid, 0, pid));
  }
  for (size_t i = 0; i < t.tracks.size(); ++i) {
    events.push_back(metadata("thread_name", track_pid[i], tid_of(i), t.tracks[i].name));
    events.push_back(sort_index("thread_sort_index", track_pid[i], tid_of(i), tid_of(i)));
  }

  std::vector<Event> timed;
  timed.reserve(t.slices.size() + t.instants.size() + t.counters.size() + 2 * t.flows.size());
  for (const TimelineSlice& s : t.slices) {
    Json j;
    j["ph"] = "X";
    j["name"] = s.name;
    j["cat"] = s.category;
    j["pid"] = track_pid[s.track];
    j["tid"] = tid_of(s.track);
    j["ts"] = us(s.start_ns);
    j["dur"] = us(std::max<int64_t>(0, s.dur_ns));
    if (!s.args.empty()) j["args"] = s.args;
    timed.push_back({s.start_ns, 0, s.dur_ns, std::move(j)});
  }
  // An instant is a point on its track. One that a flow joins is drawn as a slice of 2 ns
  // around its time instead: flow events bind to the slice enclosing them (start <= t < end
  // in Perfetto's importer; an instant or a slice ending at t does not count), and both
  // viewers draw flows between slices only.
  for (size_t n = 0; n < t.instants.size(); ++n) {
    const TimelineInstant& i = t.instants[n];
    Json j;
    j["ph"] = joined[n] ? "X" : "i";
    if (!joined[n]) j["s"] = "t";  // scope: the thread (track)
    j["name"] = i.name;
    j["cat"] = i.category;
    j["pid"] = track_pid[i.track];
    j["tid"] = tid_of(i.track);
    j["ts"] = us(joined[n] ? i.ts_ns - 1 : i.ts_ns);
    if (joined[n]) j["dur"] = us(2);
    if (!i.args.empty()) j["args"] = i.args;
    if (joined[n]) {
      timed.push_back({i.ts_ns - 1, 0, 2, std::move(j)});
    } else {
      timed.push_back({i.ts_ns, 1, 0, std::move(j)});
    }
  }
  uint64_t id = 0;
  for (const TimelineFlow& f : t.flows) {
    ++id;
    const TimelineInstant& from = t.instants[f.from];
    const TimelineInstant& to = t.instants[f.to];
    Json s;
    s["ph"] = "s";
    s["id"] = id;
    s["name"] = f.name;
    s["cat"] = f.category;
    s["pid"] = track_pid[from.track];
    s["tid"] = tid_of(from.track);
    s["ts"] = us(from.ts_ns);
    timed.push_back({from.ts_ns, 2, 0, std::move(s)});
    Json e;
    e["ph"] = "f";
    e["bp"] = "e";  // bind to the slice enclosing the end, not the next one
    e["id"] = id;
    e["name"] = f.name;
    e["cat"] = f.category;
    e["pid"] = track_pid[to.track];
    e["tid"] = tid_of(to.track);
    e["ts"] = us(to.ts_ns);
    timed.push_back({to.ts_ns, 2, 0, std::move(e)});
  }
  for (const TimelineCounter& c : t.counters) {
    Json j;
    j["ph"] = "C";
    j["name"] = c.name;
    j["pid"] = pids.at(c.group);
    j["tid"] = 0;
    j["ts"] = us(c.ts_ns);
    j["args"] = {{"value", c.value}};
    timed.push_back({c.ts_ns, 3, 0, std::move(j)});
  }
  std::stable_sort(timed.begin(), timed.end(), [](const Event& a, const Event& b) {
    return std::make_tuple(a.ts_ns, a.rank, -a.dur_ns) <
           std::make_tuple(b.ts_ns, b.rank, -b.dur_ns);
  });
  for (Event& e : timed) events.push_back(std::move(e.json));

  Json doc;
  doc["traceEvents"] = std::move(events);
  doc["displayTimeUnit"] = "ns";
  // Kept by both viewers as the trace's metadata.
  doc["otherData"] = {{"generator", "gri"},
                      {"experiment", r.experiment},
                      {"pid", r.target.pid},
                      {"exe", r.target.exe},
                      {"go_version", r.target.go_version},
                      {"clock", "CLOCK_MONOTONIC"},
                      {"dropped_events", t.dropped_events}};
  return doc.dump() + "\n";
}

}  // namespace gri::report
