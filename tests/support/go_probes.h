// Where the tests find the built workloads, and small helpers around them.
#pragma once

#include <initializer_list>
#include <ostream>
#include <string>
#include <vector>

namespace gri::test {

// The build folder the tests were configured in (build/).
std::string build_dir();

// Toolchain labels the workloads were built with: "go1.19", "go1.21", ..., "go1.27".
std::vector<std::string> go_labels();

// A label's minor release: "go1.23" -> 23, for what changed between runtime releases.
int go_minor(const std::string& label);

// build/go-probes/<label>/<name><variant>, variant "" | "-stripped" | "-pie" | "-cgo" | "-noswiss" |
// "-noswiss-stripped" (go-probes/CMakeLists.txt).
std::string probe_path(const std::string& label, const std::string& name,
                       const std::string& variant = "");

// "GOTOOLCHAIN=local /usr/local/go/bin/go": for go tool nm / objdump as oracles.
std::string go_command();

// Runs a shell command, returns its stdout; fails the calling test when it exits non-zero.
std::string run_command(const std::string& command);

// The whole file, or "" when it cannot be read.
std::string read_file(const std::string& path);

// A fresh empty folder under /tmp, removed when the object goes.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// One built workload binary: a test parameter.
struct ProbeBinary {
  std::string label;    // "go1.26"
  std::string variant;  // "", "-stripped", "-pie", "-cgo", "-noswiss", ...
  std::string path(const std::string& name) const { return probe_path(label, name, variant); }
  int minor() const { return go_minor(label); }
};

// Every toolchain's binary in each of the variants (-cgo and -noswiss* where go-probe `name`
// is built so).
std::vector<ProbeBinary> probe_binaries(std::initializer_list<const char*> variants,
                                        const std::string& name = "gc");

void PrintTo(const ProbeBinary& b, std::ostream* os);

// gtest parameter names may hold only [A-Za-z0-9_]: "go1.26" -> "go1_26".
std::string param_name(std::string s);

}  // namespace gri::test
