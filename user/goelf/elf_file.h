// An ELF executable opened through libelf: architecture, PIE, PT_LOAD segments, the
// function symbols of .symtab, and the conversion of a virtual address to the file
// offset that uprobes take.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/result.h"

namespace gri::goelf {

enum class Arch { kX86_64, kArm64, kOther };

std::string_view arch_name(Arch arch);

struct Segment {
  uint64_t vaddr = 0;
  uint64_t memsz = 0;
  uint64_t offset = 0;
  uint64_t filesz = 0;
  uint32_t flags = 0;  // PF_R | PF_W | PF_X
};

struct Section {
  std::string name;
  uint32_t type = 0;   // SHT_*
  uint64_t flags = 0;  // SHF_*
  uint64_t addr = 0;
  uint64_t offset = 0;
  uint64_t size = 0;
};

struct Symbol {
  std::string name;
  uint64_t addr = 0;
  uint64_t size = 0;
};

class ElfFile {
 public:
  static Result<ElfFile> open(const std::string& path);
  // The same from bytes in memory (fuzzing, tests); `name` stands for the path in messages.
  static Result<ElfFile> from_memory(std::vector<uint8_t> image, const std::string& name);

  ElfFile(ElfFile&&) noexcept;
  ElfFile& operator=(ElfFile&&) noexcept;
  ~ElfFile();

  const std::string& path() const { return path_; }
  Arch arch() const { return arch_; }
  // ET_DYN: position-independent; uprobe offsets are file offsets either way.
  bool is_pie() const { return pie_; }
  bool has_symtab() const { return has_symtab_; }
  const std::vector<Segment>& load_segments() const { return loads_; }
  const std::vector<Section>& sections() const { return sections_; }
  const Section* find_section(std::string_view name) const;
  // The section's bytes in the file (empty for SHT_NOBITS); fails when the file is cut short.
  Result<std::span<const uint8_t>> section_data(const Section& section) const;
  // The whole file image.
  std::span<const uint8_t> image() const;

  size_t function_count() const { return functions_.size(); }
  // Every STT_FUNC symbol of .symtab, by name.
  const std::unordered_map<std::string, Symbol>& functions() const { return functions_; }

  // A function (STT_FUNC) of .symtab by its exact name, or nullptr.
  const Symbol* find_function(std::string_view name) const;
  // A data symbol (STT_OBJECT) of .symtab by its exact name, e.g. runtime.buildVersion.
  const Symbol* find_object(std::string_view name) const;

  // The file offset of vaddr, through the executable PT_LOAD segment holding it.
  Result<uint64_t> file_offset(uint64_t vaddr) const;

  // n bytes of the file image at vaddr (through any PT_LOAD segment).
  Result<std::vector<uint8_t>> read(uint64_t vaddr, size_t n) const;

 private:
  struct Handle;
  ElfFile(std::string path, std::unique_ptr<Handle> handle);
  Status load();

  std::string path_;
  std::unique_ptr<Handle> handle_;
  Arch arch_ = Arch::kOther;
  bool pie_ = false;
  bool has_symtab_ = false;
  std::vector<Segment> loads_;
  std::vector<Section> sections_;
  std::unordered_map<std::string, Symbol> functions_;
  std::unordered_map<std::string, Symbol> objects_;
};

}  // namespace gri::goelf
