// libbpf's own messages: silent by default (gri reports failures in one line of its own,
// with the errno), shown on stderr with -v.
#pragma once

namespace gri::probe {

void set_libbpf_verbose(bool verbose);

}  // namespace gri::probe
