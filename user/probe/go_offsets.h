// The struct offsets every Go probe needs to find its goroutine, M and P (bpf/go_offsets.h),
// from a binary's layout: DWARF, or the offsets table of its Go version when stripped.
#pragma once

#include "common/result.h"
#include "goelf/runtime_layout.h"
#include "bpf/go_offsets.h"

namespace gri::probe {

// g.goid, g.m, m.p, p.id; the error names the first one missing and the Go version.
Result<go_offsets> resolve_go_offsets(const goelf::RuntimeLayout& layout, std::string_view go_version);

}  // namespace gri::probe
