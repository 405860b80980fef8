#include "goelf/elf_file.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace gri::goelf {

std::string_view arch_name(Arch arch) {
  switch (arch) {
    case Arch::kX86_64:
      return "x86-64";
    case Arch::kArm64:
      return "arm64";
    case Arch::kOther:
      break;
  }
  return "other";
}

struct ElfFile::Handle {
  int fd = -1;
  Elf* elf = nullptr;
  std::vector<uint8_t> memory;  // from_memory: the image libelf reads
  ~Handle() {
    if (elf) elf_end(elf);
    if (fd >= 0) close(fd);
  }
};

ElfFile::ElfFile(std::string path, std::unique_ptr<Handle> handle)
    : path_(std::move(path)), handle_(std::move(handle)) {}
ElfFile::ElfFile(ElfFile&&) noexcept = default;
ElfFile& ElfFile::operator=(ElfFile&&) noexcept = default;
ElfFile::~ElfFile() = default;

Result<ElfFile> ElfFile::open(const std::string& path) {
  if (elf_version(EV_CURRENT) == EV_NONE) {
    return make_error("libelf initialization failed: {}", elf_errmsg(-1));
  }
  auto handle = std::make_unique<Handle>();
  handle->fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (handle->fd < 0) return make_error("cannot open {}: {}", path, strerror(errno));
  handle->elf = elf_begin(handle->fd, ELF_C_READ_MMAP, nullptr);
  if (!handle->elf || elf_kind(handle->elf) != ELF_K_ELF) {
    return make_error("{} is not an ELF file", path);
  }
  ElfFile file(path, std::move(handle));
  if (auto st = file.load(); !st) return st.error();
  return file;
}

Result<ElfFile> ElfFile::from_memory(std::vector<uint8_t> image, const std::string& name) {
  if (elf_version(EV_CURRENT) == EV_NONE) {
    return make_error("libelf initialization failed: {}", elf_errmsg(-1));
  }
  auto handle = std::make_unique<Handle>();
  handle->memory = std::move(image);
  handle->elf = elf_memory(reinterpret_cast<char*>(handle->memory.data()), handle->memory.size());
  if (!handle->elf || elf_kind(handle->elf) != ELF_K_ELF) {
    return make_error("{} is not an ELF file", name);
  }
  ElfFile file(name, std::move(handle));
  if (auto st = file.load(); !st) return st.error();
  return file;
}

Status ElfFile::load() {
  Elf* elf = handle_->elf;
  if (gelf_getclass(elf) != ELFCLASS64) {
    return make_error("{} is a 32-bit ELF: gri reads 64-bit Go binaries only", path_);
  }
  GElf_Ehdr ehdr;
  if (!gelf_getehdr(elf, &ehdr)) return make_error("{}: bad ELF header: {}", path_, elf_errmsg(-1));
  if (ehdr.e_type != ET_EXEC && ehdr.e_type != ET_DYN) {
    return make_error("{} is not an executable (ELF type {})", path_, ehdr.e_type);
  }
  pie_ = ehdr.e_type == ET_DYN;
  arch_ = ehdr.e_machine == EM_X86_64    ? Arch::kX86_64
          : ehdr.e_machine == EM_AARCH64 ? Arch::kArm64
                                         : Arch::kOther;

  size_t nphdr = 0;
  if (elf_getphdrnum(elf, &nphdr) != 0) return make_error("{}: no program headers", path_);
  for (size_t i = 0; i < nphdr; i++) {
    GElf_Phdr ph;
    if (!gelf_getphdr(elf, static_cast<int>(i), &ph) || ph.p_type != PT_LOAD) continue;
    loads_.push_back({ph.p_vaddr, ph.p_memsz, ph.p_offset, ph.p_filesz, ph.p_flags});
  }

  size_t shstrndx = 0;
  if (elf_getshdrstrndx(elf, &shstrndx) != 0) {
    return make_error("{}: cannot read section names: {}", path_, elf_errmsg(-1));
  }
  size_t file_size = image().size();
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(elf, scn)) != nullptr) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh)) return make_error("{}: bad section header: {}", path_, elf_errmsg(-1));
    const char* name = elf_strptr(elf, shstrndx, sh.sh_name);
    if (sh.sh_type != SHT_NOBITS && (sh.sh_offset > file_size || sh.sh_size > file_size - sh.sh_offset)) {
      return make_error("{} is truncated: section {} ends past the end of the file", path_,
                        name ? name : "?");
    }
    sections_.push_back({name ? name : "", sh.sh_type, sh.sh_flags, sh.sh_addr, sh.sh_offset,
                         sh.sh_size});
    if (sh.sh_type != SHT_SYMTAB) continue;
    has_symtab_ = true;
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (!data || sh.sh_entsize == 0) continue;
    size_t count = sh.sh_size / sh.sh_entsize;
    for (size_t i = 0; i < count; i++) {
      GElf_Sym sym;
      if (!gelf_getsym(data, static_cast<int>(i), &sym)) continue;
      int type = GELF_ST_TYPE(sym.st_info);
      if ((type != STT_FUNC && type != STT_OBJECT) || sym.st_value == 0) continue;
      const char* sym_name = elf_strptr(elf, sh.sh_link, sym.st_name);
      if (!sym_name || !*sym_name) continue;
      auto& table = type == STT_FUNC ? functions_ : objects_;
      table.try_emplace(sym_name, Symbol{sym_name, sym.st_value, sym.st_size});
    }
  }
  return {};
}

const Symbol* ElfFile::find_function(std::string_view name) const {
  auto it = functions_.find(std::string(name));
  return it == functions_.end() ? nullptr : &it->second;
}

const Symbol* ElfFile::find_object(std::string_view name) const {
  auto it = objects_.find(std::string(name));
  return it == objects_.end() ? nullptr : &it->second;
}

const Section* ElfFile::find_section(std::string_view name) const {
  for (const Section& s : sections_) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::span<const uint8_t> ElfFile::image() const {
  size_t size = 0;
  char* raw = elf_rawfile(handle_->elf, &size);
  if (!raw) return {};
  return {reinterpret_cast<const uint8_t*>(raw), size};
}

Result<std::span<const uint8_t>> ElfFile::section_data(const Section& section) const {
  if (section.type == SHT_NOBITS) return std::span<const uint8_t>{};
  auto img = image();
  if (section.offset > img.size() || section.size > img.size() - section.offset) {
    return make_error("{} is truncated: section {} ends past the end of the file", path_,
                      section.name);
  }
  return img.subspan(section.offset, section.size);
}

Result<uint64_t> ElfFile::file_offset(uint64_t vaddr) const {
  for (const Segment& s : loads_) {
    if ((s.flags & PF_X) && vaddr >= s.vaddr && vaddr < s.vaddr + s.filesz) {
      return vaddr - s.vaddr + s.offset;
    }
  }
  return make_error("{}: address {:#x} is in no executable PT_LOAD segment", path_, vaddr);
}

Result<std::vector<uint8_t>> ElfFile::read(uint64_t vaddr, size_t n) const {
  for (const Segment& s : loads_) {
    if (vaddr < s.vaddr || vaddr >= s.vaddr + s.filesz) continue;
    n = std::min<uint64_t>(n, s.vaddr + s.filesz - vaddr);
    uint64_t off = vaddr - s.vaddr + s.offset;
    auto img = image();
    if (off > img.size()) {
      return make_error("{} is truncated: {:#x} lies past the end of the file", path_, vaddr);
    }
    n = std::min<uint64_t>(n, img.size() - off);
    return std::vector<uint8_t>(img.begin() + off, img.begin() + off + n);
  }
  return make_error("{}: address {:#x} is in no PT_LOAD segment", path_, vaddr);
}

}  // namespace gri::goelf
