// Which Go built a binary, and how: the .go.buildinfo section (what `go version -m` reads).
//
// Two formats: since Go 1.18 the header (16 bytes: "\xff Go buildinf:", pointer size,
// flags with bit 1 set) is followed by two varint-length strings, the version and the
// module info; before, two pointers to Go string headers (read through PT_LOAD).
// Source: Go src/debug/buildinfo/buildinfo.go. Fallback: the runtime.buildVersion string.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "goelf/elf_file.h"

namespace gri::goelf {

struct BuildInfo {
  std::string go_version;   // "go1.26.8", as `go version BINARY` prints it
  std::string path;         // "path" line: the main package, e.g. "gri/go-probes/gc"
  std::string module_path;  // "mod" line: the main module, e.g. "gri/go-probes"
  std::vector<std::pair<std::string, std::string>> settings;  // "build" lines, in order
  std::string format;       // "inline" (Go 1.18+), "pointer" (older), "runtime.buildVersion"

  // A build setting's value ("GOEXPERIMENT", "DefaultGODEBUG", "-buildmode"); "" if absent.
  std::string setting(std::string_view key) const;
};

// Reads bytes at a virtual address of the binary (for the pointer format).
using AddressReader = std::function<Result<std::vector<uint8_t>>(uint64_t addr, size_t n)>;

// The parser over .go.buildinfo's bytes; never reads outside `section` except through `read`.
Result<BuildInfo> parse_buildinfo(std::span<const uint8_t> section, const AddressReader& read);

// .go.buildinfo of `elf`, else runtime.buildVersion (format "runtime.buildVersion", version
// only); an error that says why when neither is there (not a Go binary).
Result<BuildInfo> read_buildinfo(const ElfFile& elf);

// "go1.26.8" -> {1, 26}; "devel ..." or garbage -> error.
Result<std::pair<int, int>> go_minor_version(std::string_view go_version);

}  // namespace gri::goelf
