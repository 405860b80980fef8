// An ELF executable opened through libelf: architecture, PIE, PT_LOAD segments, the
// function symbols of .symtab, and the conversion of a virtual address to the file
// offset that uprobes take.
#pragma once

#include <cstdint>
#include <memory>
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

struct Symbol {
  std::string name;
  uint64_t addr = 0;
  uint64_t size = 0;
};

class ElfFile {
 public:
  static Result<ElfFile> open(const std::string& path);

  ElfFile(ElfFile&&) noexcept;
  ElfFile& operator=(ElfFile&&) noexcept;
  ~ElfFile();

  const std::string& path() const { return path_; }
  Arch arch() const { return arch_; }
  // ET_DYN: position-independent; uprobe offsets are file offsets either way.
  bool is_pie() const { return pie_; }
  bool has_symtab() const { return has_symtab_; }
  const std::vector<Segment>& load_segments() const { return loads_; }
  size_t function_count() const { return functions_.size(); }

  // A function (STT_FUNC) of .symtab by its exact name, or nullptr.
  const Symbol* find_function(std::string_view name) const;

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
  std::unordered_map<std::string, Symbol> functions_;
};

}  // namespace gri::goelf
