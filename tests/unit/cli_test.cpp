// The gri command line: bad input is one line on stderr and exit status 2, before anything is
// attached, whoever runs it; --help of every command has examples.
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <string>

#include "go_probes.h"

namespace {

struct Outcome {
  int status = -1;
  std::string out;  // stdout and stderr together
};

Outcome gri(const std::string& args) {
  std::string command = gri::test::build_dir() + "/gri " + args + " 2>&1";
  Outcome r;
  FILE* p = popen(command.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

// Exit 2 and exactly one line that starts with "gri: " and contains `what`.
void expect_usage_error(const std::string& args, const std::string& what) {
  Outcome r = gri(args);
  EXPECT_EQ(r.status, 2) << "gri " << args << "\n" << r.out;
  EXPECT_EQ(r.out.rfind("gri: ", 0), 0u) << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
  EXPECT_NE(r.out.find(what), std::string::npos) << "gri " << args << "\n" << r.out;
}

TEST(Cli, BadInputIsOneLineAndExitTwo) {
  expect_usage_error("bogus", "unknown command 'bogus'");
  expect_usage_error("", "subcommand");
  expect_usage_error("--nope", "nope");
  expect_usage_error("doctor -- ls", "doctor takes no -- CMD");
  expect_usage_error("gc --", "nothing after --");
  expect_usage_error("trace -- true", "--function");
  expect_usage_error("inspect", "inspect takes a BINARY or -p PID");
  expect_usage_error("inspect -p 0", "bad PID 0");
  expect_usage_error("gc -p abc", "abc");
  expect_usage_error("gc -d x -- true", "x");
  expect_usage_error("wb --watch", "--watch");
  expect_usage_error("alloc --sample-hz 0 -- true", "--sample-hz");
  expect_usage_error("alloc --sample-hz 20000 -- true", "--sample-hz");
  // Output files are checked before anything runs; --pprof and --perfetto only where the
  // command has stacks or timed events.
  expect_usage_error("gc --html /nonexistent-gri-dir/r.html -- true", "no directory /nonexistent-gri-dir");
  expect_usage_error("gc --html /tmp -- true", "/tmp is a directory");
  expect_usage_error("wb --pprof p.pb.gz -- true", "--pprof");
  expect_usage_error("maps --perfetto t.json -- true", "--perfetto");
}

TEST(Cli, EveryCommandHasHelpWithExamples) {
  for (const char* cmd : {"doctor", "inspect", "trace", "sched", "preempt", "steal", "alloc", "gc",
                          "wb", "maps", "timers", "lab"}) {
    Outcome r = gri(std::string(cmd) + " --help");
    EXPECT_EQ(r.status, 0) << cmd << "\n" << r.out;
    EXPECT_NE(r.out.find("EXAMPLES:"), std::string::npos) << cmd << "\n" << r.out;
  }
}

}  // namespace
