#include "probe/libbpf_log.h"

#include <bpf/libbpf.h>

#include <cstdarg>
#include <cstdio>

namespace gri::probe {

namespace {

int print_all(enum libbpf_print_level, const char* format, va_list args) {
  return vfprintf(stderr, format, args);
}

int print_none(enum libbpf_print_level, const char*, va_list) { return 0; }

}  // namespace

void set_libbpf_verbose(bool verbose) { libbpf_set_print(verbose ? print_all : print_none); }

}  // namespace gri::probe
