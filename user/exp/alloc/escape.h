// The compiler's escape analysis (go build -gcflags=-m) against the allocation sites gri saw.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace gri::exp::alloc {

// One "FILE:LINE:COL: X escapes to heap" or "FILE:LINE:COL: moved to heap: X" line.
struct EscapeReport {
  std::string file;  // as the compiler printed it ("alloc/main.go", "./main.go")
  int line = 0;
  std::string what;  // "new([8]byte)", "v"
};

// The heap escapes of -gcflags=-m output whose file starts with `file_prefix` ("" for all);
// "does not escape", inlining and other lines are skipped, and so are duplicates of a line.
std::vector<EscapeReport> parse_escapes(std::string_view text, std::string_view file_prefix = "");

struct ObservedSite {
  std::string file;  // as the pclntab records it (absolute unless built with -trimpath)
  int line = 0;
  std::string func;
};

struct EscapeComparison {
  std::vector<std::string> confirmed;   // "alloc/main.go:36" observed and reported
  std::vector<std::string> unreported;  // observed, never reported by the compiler
  std::vector<std::string> unobserved;  // reported, never observed
};

// A site and a report are the same when the site's path ends with the report's file (less
// "./") and the lines are equal.
EscapeComparison compare_escapes(const std::vector<EscapeReport>& reports,
                                 const std::vector<ObservedSite>& sites);

}  // namespace gri::exp::alloc
