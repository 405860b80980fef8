// The Go functions the experiments probe, with the Go versions that have them as symbols.
// Facts from ../shared/GO-RUNTIME.md (read off real binaries of Go 1.19-1.27); gri inspect
// reports each as present or says why it is missing.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace gri::exp {

struct ProbePointSpec {
  std::string_view experiment;  // "EXP-05"
  std::string_view symbol;      // "runtime.gcStart"
  int since_minor;              // first Go 1.x with the symbol (19: every version gri supports)
  int until_minor;              // last Go 1.x with it (99: still there)
  std::string_view gone;        // why it is gone after until_minor
  std::string_view note;        // why it can be missing inside the range, if known
};

std::span<const ProbePointSpec> probe_points();

// Why `spec` is not in a binary of Go 1.`minor`: "not in go1.19 (exists from 1.24)", "not
// in go1.26 (last in 1.20): <gone>", the note, or a generic reason.
std::string missing_reason(const ProbePointSpec& spec, int minor);

}  // namespace gri::exp
