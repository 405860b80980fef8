// The runtime fields and globals gri reads, resolved for one binary: from its DWARF when it
// has any, else from the checked-in table of its Go version (offsets_table.inc, made by
// tools/gen-offsets). Names change across versions (sched.runqsize became sched.runq.size
// in Go 1.25): each field lists the member paths it has had, tried in order.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "goelf/go_binary.h"

namespace gri::goelf {

struct FieldSpec {
  std::string_view key;   // stable name used by gri: "g.goid", "schedt.runqsize"
  std::string_view type;  // DWARF struct type: "runtime.g", "runtime.schedt"
  std::vector<std::string_view> paths;  // member paths tried in order
};

struct ResolvedField {
  std::string key;
  std::string type;
  std::string member;  // the path that matched ("" when missing)
  std::optional<uint64_t> offset;
  std::string source;  // "dwarf", "table go1.26 (generated from go1.26.8)"
  std::string reason;  // why it is missing
};

// A global and the names it has had across releases ("runtime.class_to_size", then
// "internal/runtime/gc.SizeClassToSize" from go1.25: the generator found it so).
struct GlobalSpec {
  std::vector<std::string_view> names;
  GlobalSpec(std::initializer_list<std::string_view> n) : names(n) {}
};

struct ResolvedGlobal {
  std::string name;    // the catalog's first name: "runtime.class_to_size"
  std::string symbol;  // the name it has in this binary ("" when not found)
  std::optional<uint64_t> address;
  std::optional<uint64_t> size;  // .symtab's st_size, or the size learned for the release
  std::string source;  // "symtab", "dwarf", "code: runtime.gcStart+0x2f (3 of 3 references agree)"
  std::string reason;
};

struct RuntimeLayout {
  std::vector<ResolvedField> fields;
  std::vector<ResolvedGlobal> globals;
  std::optional<uint64_t> offset(std::string_view key) const;
  // By any of the global's names.
  std::optional<uint64_t> address(std::string_view global) const;
  const ResolvedGlobal* global(std::string_view name) const;
};

std::span<const FieldSpec> field_catalog();
std::span<const GlobalSpec> global_catalog();

// The binary's Go version (buildinfo: "go1.26.8") selects the tables for binaries without
// DWARF or .symtab.
RuntimeLayout resolve_layout(const GoBinary& bin);
// The same as if `go_version` had built it (tests: the tables of another release).
RuntimeLayout resolve_layout(const GoBinary& bin, std::string_view go_version);

}  // namespace gri::goelf
