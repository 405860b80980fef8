// Timed events in the report model, for the Perfetto renderer (perfetto.h). Times are the
// target's CLOCK_MONOTONIC in nanoseconds (bpf_ktime_get_ns, and Go's nanotime on Linux).
//
// Generic on purpose: tracks (rows), slices (intervals on a track), instants (points on a
// track), counters (a value over time) and flows (arrows from a point of one track to a point
// of another). Experiments fill it (user/exp/<name>/timeline.cpp); the renderer only prints it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace gri::report {

// A row of the viewer. Tracks of one group are shown together, under the group's name (a
// "process" of the trace-event format; each track is one of its "threads").
struct TimelineTrack {
  std::string group;  // "GC", "Ps", "threads"
  std::string name;   // "phases", "P3", "tid 4242"
};

struct TimelineSlice {
  size_t track = 0;  // index into Timeline::tracks
  int64_t start_ns = 0;
  int64_t dur_ns = 0;
  std::string name;
  std::string category;  // "gc", "stw", ...: the viewer filters and colours by it
  nlohmann::ordered_json args = nlohmann::ordered_json::object();
};

struct TimelineInstant {
  size_t track = 0;
  int64_t ts_ns = 0;
  std::string name;
  std::string category;
  nlohmann::ordered_json args = nlohmann::ordered_json::object();
};

// One value of a counter at a time; the counter (group, name) is a track of its own in the
// group's process, drawn as a step line.
struct TimelineCounter {
  std::string group;
  std::string name;  // "heap live (bytes)"
  int64_t ts_ns = 0;
  double value = 0;
};

// An arrow from one instant to another (indexes into Timeline::instants), on one track or
// two: a signal to the preemption it caused, a victim P to the thief. The viewers draw flows
// between slices only, so the renderer draws an instant that a flow joins as a slice of 2 ns
// around its time.
struct TimelineFlow {
  std::string name;
  std::string category;
  size_t from = 0;
  size_t to = 0;
};

struct Timeline {
  std::vector<TimelineTrack> tracks;  // in the order the viewer shows them
  std::vector<TimelineSlice> slices;
  std::vector<TimelineInstant> instants;
  std::vector<TimelineCounter> counters;
  std::vector<TimelineFlow> flows;
  // Timed events that did not reach user space (a full ring buffer): the timeline misses
  // them, and says so.
  uint64_t dropped_events = 0;

  // The index of the track (group, name), added at the end when it is new.
  size_t track(const std::string& group, const std::string& name) {
    for (size_t i = 0; i < tracks.size(); ++i) {
      if (tracks[i].group == group && tracks[i].name == name) return i;
    }
    tracks.push_back({group, name});
    return tracks.size() - 1;
  }

  bool empty() const {
    return slices.empty() && instants.empty() && counters.empty() && flows.empty();
  }
};

}  // namespace gri::report
