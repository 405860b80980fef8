// The runtime fields and globals gri reads, resolved for one binary: from its DWARF when it
// has any, else from the checked-in table of its Go version (offsets_table.inc, made by
// tools/gen-offsets). Names change across versions (sched.runqsize became sched.runq.size
// in Go 1.25): each field lists the member paths it has had, tried in order.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "goelf/elf_file.h"

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

struct ResolvedGlobal {
  std::string name;  // "runtime.sched"
  std::optional<uint64_t> address;
  std::string source;  // "dwarf", "symtab"
  std::string reason;
};

struct RuntimeLayout {
  std::vector<ResolvedField> fields;
  std::vector<ResolvedGlobal> globals;
  std::optional<uint64_t> offset(std::string_view key) const;
  std::optional<uint64_t> address(std::string_view global) const;
};

std::span<const FieldSpec> field_catalog();
std::span<const std::string_view> global_catalog();

// go_version as buildinfo gives it ("go1.26.8"); it selects the table for binaries without
// DWARF.
RuntimeLayout resolve_layout(const ElfFile& elf, std::string_view go_version);

}  // namespace gri::goelf
