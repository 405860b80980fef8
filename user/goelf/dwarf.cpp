// Go's DWARF through libdw.
//
// How the Go linker lays DWARF out (cmd/link/internal/ld/dwarf.go, go1.19 to go1.27): one
// compilation unit per package (a big package such as runtime is split into several CUs named
// alike), the CUs sorted by start PC; every type of the program is a top-level DIE of one CU,
// the last "runtime" unit in link order (movetomodule(ctxt.runtimeCU)); a package's globals are
// top-level DW_TAG_variable DIEs of that package's own CUs, DW_AT_location = DW_OP_addr.
// Named types come as a DW_TAG_typedef "runtime.g" pointing at the DW_TAG_structure_type
// "runtime.g", and members refer to the typedef.
//
// Go compresses every .debug_* section (SHF_COMPRESSED, zlib), and dwarf_begin inflates all of
// them at once: on a 37 MB go1.27 `compile` built with DWARF that took 100 ms and 22 MB
// (.debug_line 4.7 MB, .debug_loclists 6.0 MB, .debug_rnglists 2.0 MB, .debug_frame 1.2 MB
// and .debug_info 8.3 MB), where reading types and globals needs .debug_abbrev, .debug_addr
// and the runtime's CUs of .debug_info. So open() builds a small ELF image in memory for
// libdw with just those sections, and inflates .debug_info as a stream, one CU ahead of what
// libdw is asked to read: the index (struct types, typedefs and runtime globals, top-level
// DIEs of the "runtime" CUs; functions are skipped whole) stops at the CU that holds the
// types. In `compile` that CU ends 1.6 MB into the 8.3 MB. Lookups that miss inflate and visit
// the rest. The image's uninflated part is never touched, so it costs no memory. libdw reads
// a unit's header or DIEs only when asked for that unit or a DIE in it (__libdw_findcu
// interns units in order up to the one asked for), so it never sees what is not inflated.
#include "goelf/dwarf.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstring>
#include <optional>
#include <unordered_map>
#include <vector>

namespace gri::goelf {

namespace {

std::string_view die_name(Dwarf_Die* die) {
  const char* name = dwarf_diename(die);
  return name ? std::string_view(name) : std::string_view();
}

// The package of a Go symbol: "runtime.sched" -> "runtime",
// "golang.org/x/sys/unix.Stdout" -> "golang.org/x/sys/unix".
std::string_view package_of(std::string_view symbol) {
  size_t slash = symbol.rfind('/');
  size_t dot = symbol.find('.', slash == std::string_view::npos ? 0 : slash + 1);
  return dot == std::string_view::npos ? std::string_view() : symbol.substr(0, dot);
}

// The address of a global from its DW_AT_location (DW_OP_addr; DW_OP_addrx in DWARF 5).
bool variable_address(Dwarf_Die* die, uint64_t* address) {
  Dwarf_Attribute attr;
  if (dwarf_attr(die, DW_AT_location, &attr) == nullptr) return false;
  // Go writes DW_FORM_block1 (cmd/link/internal/ld/dwarf.go, DW_ABRV_VARIABLE), which
  // libdw's dwarf_getlocation rejects in DWARF 4 and 5 CUs ("not a location list value"):
  // decode that one shape, DW_OP_addr and an address, here.
  if (dwarf_whatform(&attr) == DW_FORM_block1 || dwarf_whatform(&attr) == DW_FORM_block) {
    Dwarf_Block block;
    Dwarf_Die cu;
    uint8_t address_size = 0;
    if (dwarf_formblock(&attr, &block) != 0 ||
        dwarf_diecu(die, &cu, &address_size, nullptr) == nullptr) {
      return false;
    }
    if (block.length != 1u + address_size || block.data[0] != DW_OP_addr ||
        (address_size != 4 && address_size != 8)) {
      return false;
    }
    // The file's byte order is the host's (build_image checks it).
    if (address_size == 8) {
      std::memcpy(address, block.data + 1, 8);
    } else {
      uint32_t value = 0;
      std::memcpy(&value, block.data + 1, 4);
      *address = value;
    }
    return true;
  }
  Dwarf_Op* ops = nullptr;
  size_t nops = 0;
  if (dwarf_getlocation(&attr, &ops, &nops) != 0 || nops != 1) return false;
  if (ops[0].atom == DW_OP_addr) {
    *address = ops[0].number;
    return true;
  }
  if (ops[0].atom == DW_OP_addrx || ops[0].atom == DW_OP_GNU_addr_index) {
    Dwarf_Attribute result;
    Dwarf_Addr addr = 0;
    if (dwarf_getlocation_attr(&attr, &ops[0], &result) == 0 &&
        dwarf_formaddr(&result, &addr) == 0) {
      *address = addr;
      return true;
    }
  }
  return false;
}

// The type a DIE refers to (DW_AT_type), through typedefs.
bool referenced_type(Dwarf_Die* die, Dwarf_Die* result) {
  Dwarf_Attribute attr;
  Dwarf_Die type;
  if (dwarf_attr_integrate(die, DW_AT_type, &attr) == nullptr ||
      dwarf_formref_die(&attr, &type) == nullptr) {
    return false;
  }
  return dwarf_peel_type(&type, result) == 0;
}

// DW_AT_data_member_location: a constant (what Go emits) or DW_OP_plus_uconst.
bool member_location(Dwarf_Die* member, uint64_t* offset) {
  Dwarf_Attribute attr;
  if (dwarf_attr(member, DW_AT_data_member_location, &attr) == nullptr) return false;
  Dwarf_Word value = 0;
  if (dwarf_formudata(&attr, &value) == 0) {
    *offset = value;
    return true;
  }
  Dwarf_Op* ops = nullptr;
  size_t nops = 0;
  if (dwarf_getlocation(&attr, &ops, &nops) == 0 && nops == 1 &&
      ops[0].atom == DW_OP_plus_uconst) {
    *offset = ops[0].number;
    return true;
  }
  return false;
}

// The number of elements of an array type DIE (its DW_TAG_subrange_type).
bool array_count(Dwarf_Die* array, uint64_t* count) {
  Dwarf_Die sub;
  if (dwarf_child(array, &sub) != 0 || dwarf_tag(&sub) != DW_TAG_subrange_type) return false;
  Dwarf_Attribute attr;
  Dwarf_Word value = 0;
  if (dwarf_attr(&sub, DW_AT_count, &attr) && dwarf_formudata(&attr, &value) == 0) {
    *count = value;
    return true;
  }
  if (dwarf_attr(&sub, DW_AT_upper_bound, &attr) && dwarf_formudata(&attr, &value) == 0) {
    *count = value + 1;
    return true;
  }
  return false;
}

// The sections libdw reads for DIEs, attributes and DW_FORM_addrx/strx; the rest is skipped.
constexpr std::array<std::string_view, 6> kNeededSections = {
    ".debug_info", ".debug_abbrev", ".debug_addr",
    ".debug_str",  ".debug_line_str", ".debug_str_offsets"};

// .debug_info is inflated at least this much at a time.
constexpr size_t kInflateChunk = 256 * 1024;

}  // namespace

struct Dwarf::Index {
  std::string path;
  int fd = -1;
  Elf* file = nullptr;  // the binary (mmap): compressed bytes are read from it
  // The ELF image libdw reads: header, sections, .shstrtab, section headers. Anonymous
  // memory: the part of .debug_info not inflated yet reads as zeros and is not backed.
  char* image = nullptr;
  size_t image_size = 0;
  Elf* elf = nullptr;  // over `image`
  ::Dwarf* dw = nullptr;

  // .debug_info inside `image`: `filled` bytes are valid; zlib fills the rest on demand.
  char* info = nullptr;
  size_t info_size = 0;
  size_t filled = 0;
  z_stream zs{};
  bool inflating = false;
  // The next unit of .debug_info not visited yet.
  Dwarf_Off next_unit = 0;
  bool all_visited = false;

  // Top-level DIEs of the "runtime" CUs, by name: every struct type and typedef of the
  // program, and the runtime's globals; plus globals of packages looked up since.
  std::unordered_map<std::string, Dwarf_Off> structs;
  std::unordered_map<std::string, Dwarf_Off> typedefs;
  std::unordered_map<std::string, uint64_t> globals;
  // Every CU visited: package name and the offset of its DIE.
  std::vector<std::pair<std::string, Dwarf_Off>> units;
  std::vector<std::string> scanned_packages;  // besides runtime, scanned on every visit

  Index() = default;
  Index(const Index&) = delete;
  Index& operator=(const Index&) = delete;
  ~Index() {
    if (dw) dwarf_end(dw);
    if (elf) elf_end(elf);
    if (image) munmap(image, image_size);
    if (inflating) inflateEnd(&zs);
    if (file) elf_end(file);
    if (fd >= 0) close(fd);
  }

  Status build_image();

  // Makes .debug_info valid up to `upto` bytes (or to its end); false if it cannot.
  bool ensure(size_t upto) {
    upto = std::min(upto, info_size);
    if (upto <= filled) return true;
    if (!inflating) return false;
    size_t target = std::min(info_size, std::max(upto, filled + kInflateChunk));
    zs.next_out = reinterpret_cast<Bytef*>(info + filled);
    zs.avail_out = static_cast<uInt>(std::min<size_t>(target - filled, UINT_MAX));
    int rc = Z_OK;
    while (zs.avail_out > 0 && rc == Z_OK) rc = inflate(&zs, Z_NO_FLUSH);
    filled = reinterpret_cast<char*>(zs.next_out) - info;
    if (filled == info_size || (rc != Z_OK && rc != Z_BUF_ERROR)) {
      inflateEnd(&zs);  // done, or a broken stream: what is filled stays usable
      inflating = false;
    }
    return upto <= filled;
  }

  // Inflates the next CU whole, records it, and indexes it if it is one of the runtime's or
  // of a package looked up before. False at the end of .debug_info.
  bool visit_next_unit() {
    if (all_visited) return false;
    Dwarf_Off start = next_unit;
    uint64_t length = 0;
    uint32_t length32 = 0;
    size_t header = 4;
    if (start >= info_size || info_size - start < 12 || !ensure(start + 12)) return finish();
    std::memcpy(&length32, info + start, 4);  // native endianness: checked in build_image
    length = length32;
    if (length32 == 0xffffffff) {  // 64-bit DWARF
      header = 12;
      std::memcpy(&length, info + start + 4, 8);
    } else if (length32 >= 0xfffffff0) {
      return finish();
    }
    if (length > info_size - start - header || !ensure(start + header + length)) return finish();
    Dwarf_Off next = 0;
    size_t header_size = 0;
    if (dwarf_nextcu(dw, start, &next, &header_size, nullptr, nullptr, nullptr) != 0) {
      return finish();
    }
    next_unit = next;
    Dwarf_Die cu;
    if (dwarf_offdie(dw, start + header_size, &cu) != nullptr &&
        dwarf_tag(&cu) == DW_TAG_compile_unit) {
      std::string name(die_name(&cu));
      Dwarf_Off die = start + header_size;
      if (name == "runtime") {
        scan_unit(die, true);
      } else if (std::find(scanned_packages.begin(), scanned_packages.end(), name) !=
                 scanned_packages.end()) {
        scan_unit(die, false);
      }
      units.emplace_back(std::move(name), die);
    }
    return true;
  }

  bool finish() {
    all_visited = true;
    return false;
  }

  void visit_all() {
    while (visit_next_unit()) {
    }
  }

  // Records the top-level DIEs of one CU; types only where `with_types`.
  void scan_unit(Dwarf_Off cu_offset, bool with_types) {
    Dwarf_Die cu;
    Dwarf_Die die;
    if (dwarf_offdie(dw, cu_offset, &cu) == nullptr || dwarf_child(&cu, &die) != 0) return;
    do {
      int tag = dwarf_tag(&die);
      if (tag == DW_TAG_subprogram) continue;  // the common case: skip it first
      if (tag == DW_TAG_variable) {
        uint64_t address = 0;
        std::string_view name = die_name(&die);
        if (!name.empty() && variable_address(&die, &address)) {
          globals.emplace(std::string(name), address);
        }
      } else if (with_types && (tag == DW_TAG_structure_type || tag == DW_TAG_typedef)) {
        std::string_view name = die_name(&die);
        if (name.empty()) continue;
        auto& map = tag == DW_TAG_structure_type ? structs : typedefs;
        map.emplace(std::string(name), dwarf_dieoffset(&die));
      }
    } while (dwarf_siblingof(&die, &die) == 0);
  }

  // Indexes the globals of a package: its CUs seen so far, then every CU.
  void scan_package(std::string_view package) {
    if (package == "runtime" ||
        std::find(scanned_packages.begin(), scanned_packages.end(), package) !=
            scanned_packages.end()) {
      visit_all();
      return;
    }
    scanned_packages.emplace_back(package);
    for (const auto& [name, offset] : units) {
      if (name == package) scan_unit(offset, false);
    }
    visit_all();
  }

  bool lookup_struct(const std::string& key, Dwarf_Die* result) {
    if (auto it = structs.find(key); it != structs.end()) {
      return dwarf_offdie(dw, it->second, result) != nullptr;
    }
    if (auto it = typedefs.find(key); it != typedefs.end()) {
      Dwarf_Die td;
      if (dwarf_offdie(dw, it->second, &td) == nullptr) return false;
      return dwarf_peel_type(&td, result) == 0 && dwarf_tag(result) == DW_TAG_structure_type;
    }
    return false;
  }

  // A struct type by name, directly or through a typedef of that name.
  bool find_struct(std::string_view type, Dwarf_Die* result) {
    std::string key(type);
    if (lookup_struct(key, result)) return true;
    if (all_visited) return false;
    visit_all();  // the linker puts every type in one CU; a miss is checked against all
    return lookup_struct(key, result);
  }
};

// Lays out the image: the needed sections, .debug_info to be inflated later when it is
// zlib-compressed (ELFCOMPRESS_ZLIB, what Go writes), others inflated now through libelf.
Status Dwarf::Index::build_image() {
  file = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
  if (file == nullptr || elf_kind(file) != ELF_K_ELF) {
    return make_error("{} is not an ELF file: {}", path, elf_errmsg(-1));
  }
  Elf64_Ehdr* ehdr = elf64_getehdr(file);
  constexpr unsigned char native =
      std::endian::native == std::endian::little ? ELFDATA2LSB : ELFDATA2MSB;
  if (ehdr == nullptr || ehdr->e_ident[EI_DATA] != native) {
    return make_error("{}: only native-endian 64-bit ELF files are read", path);
  }
  size_t shstrndx = 0;
  if (elf_getshdrstrndx(file, &shstrndx) != 0) {
    return make_error("{}: no section header string table: {}", path, elf_errmsg(-1));
  }
  struct Piece {
    std::string_view name;
    const char* data = nullptr;  // null for a .debug_info inflated on demand
    size_t size = 0;
  };
  std::vector<Piece> pieces;
  const char* zsource = nullptr;
  size_t zsource_size = 0;
  for (Elf_Scn* scn = elf_nextscn(file, nullptr); scn; scn = elf_nextscn(file, scn)) {
    GElf_Shdr shdr;
    if (gelf_getshdr(scn, &shdr) == nullptr || shdr.sh_type == SHT_NOBITS) continue;
    const char* raw = elf_strptr(file, shstrndx, shdr.sh_name);
    if (raw == nullptr) continue;
    std::string_view name(raw);
    bool gnu = name.starts_with(".zdebug_");  // the older GNU format, .zdebug_info
    std::string plain = gnu ? ".debug_" + std::string(name.substr(8)) : std::string(name);
    auto wanted = std::find(kNeededSections.begin(), kNeededSections.end(), plain);
    if (wanted == kNeededSections.end()) continue;
    GElf_Chdr chdr;
    if (*wanted == ".debug_info" && (shdr.sh_flags & SHF_COMPRESSED) != 0 &&
        gelf_getchdr(scn, &chdr) != nullptr && chdr.ch_type == ELFCOMPRESS_ZLIB) {
      Elf_Data* rawdata = elf_rawdata(scn, nullptr);
      if (rawdata == nullptr || rawdata->d_size < sizeof(Elf64_Chdr)) {
        return make_error("{}: cannot read {}: {}", path, name, elf_errmsg(-1));
      }
      zsource = static_cast<const char*>(rawdata->d_buf) + sizeof(Elf64_Chdr);
      zsource_size = rawdata->d_size - sizeof(Elf64_Chdr);
      pieces.push_back({*wanted, nullptr, chdr.ch_size});
      continue;
    }
    if ((shdr.sh_flags & SHF_COMPRESSED) != 0 && elf_compress(scn, 0, 0) < 0) {
      return make_error("cannot inflate {} of {}: {}", name, path, elf_errmsg(-1));
    }
    if (gnu && elf_compress_gnu(scn, 0, 0) < 0) {
      return make_error("cannot inflate {} of {}: {}", name, path, elf_errmsg(-1));
    }
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (data == nullptr || data->d_buf == nullptr) continue;
    pieces.push_back({*wanted, static_cast<const char*>(data->d_buf), data->d_size});
  }
  if (std::none_of(pieces.begin(), pieces.end(),
                   [](const Piece& p) { return p.name == ".debug_info"; })) {
    return make_error("{} has no DWARF (stripped?)", path);
  }

  std::string shstrtab(1, '\0');
  std::vector<Elf64_Shdr> headers(1);  // section 0: SHN_UNDEF
  size_t size = sizeof(Elf64_Ehdr);
  auto align8 = [](size_t n) { return (n + 7) & ~size_t{7}; };
  for (const Piece& p : pieces) {
    Elf64_Shdr h{};
    h.sh_name = static_cast<Elf64_Word>(shstrtab.size());
    shstrtab.append(p.name).push_back('\0');
    h.sh_type = SHT_PROGBITS;
    h.sh_offset = size = align8(size);
    h.sh_size = p.size;
    h.sh_addralign = 1;
    size += p.size;
    headers.push_back(h);
  }
  Elf64_Shdr strtab{};
  strtab.sh_name = static_cast<Elf64_Word>(shstrtab.size());
  shstrtab.append(".shstrtab").push_back('\0');
  strtab.sh_type = SHT_STRTAB;
  strtab.sh_offset = size;
  strtab.sh_size = shstrtab.size();
  strtab.sh_addralign = 1;
  size += shstrtab.size();
  headers.push_back(strtab);

  Elf64_Ehdr out = *ehdr;
  out.e_phoff = 0;
  out.e_phnum = 0;
  out.e_phentsize = 0;
  out.e_shoff = align8(size);
  out.e_shentsize = sizeof(Elf64_Shdr);
  out.e_shnum = static_cast<Elf64_Half>(headers.size());
  out.e_shstrndx = static_cast<Elf64_Half>(headers.size() - 1);
  image_size = out.e_shoff + headers.size() * sizeof(Elf64_Shdr);
  void* mem = mmap(nullptr, image_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) {
    return make_error("cannot map {} bytes for the DWARF of {}: {}", image_size, path,
                      std::strerror(errno));
  }
  image = static_cast<char*>(mem);
  std::memcpy(image, &out, sizeof out);
  for (size_t i = 0; i < pieces.size(); ++i) {
    char* dest = image + headers[i + 1].sh_offset;
    if (pieces[i].name == ".debug_info") {
      info = dest;
      info_size = pieces[i].size;
    }
    if (pieces[i].data != nullptr) std::memcpy(dest, pieces[i].data, pieces[i].size);
  }
  std::memcpy(image + strtab.sh_offset, shstrtab.data(), shstrtab.size());
  std::memcpy(image + out.e_shoff, headers.data(), headers.size() * sizeof(Elf64_Shdr));

  filled = info_size;
  if (zsource != nullptr) {
    filled = 0;
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(zsource));
    zs.avail_in = static_cast<uInt>(std::min<size_t>(zsource_size, UINT_MAX));
    if (inflateInit(&zs) != Z_OK) return make_error("zlib: {}", zs.msg ? zs.msg : "init failed");
    inflating = true;
  }
  return {};
}

Dwarf::Dwarf(std::unique_ptr<Index> index) : index_(std::move(index)) {}
Dwarf::Dwarf(Dwarf&&) noexcept = default;
Dwarf& Dwarf::operator=(Dwarf&&) noexcept = default;
Dwarf::~Dwarf() = default;

Result<Dwarf> Dwarf::open(const std::string& path) {
  auto index = std::make_unique<Index>();
  index->path = path;
  index->fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (index->fd < 0) return make_error("cannot open {}: {}", path, std::strerror(errno));
  if (elf_version(EV_CURRENT) == EV_NONE) return make_error("libelf: {}", elf_errmsg(-1));
  if (Status built = index->build_image(); !built) return built.error();
  index->ensure(kInflateChunk);  // the first units, before libdw looks at anything
  index->elf = elf_memory(index->image, index->image_size);
  if (index->elf == nullptr) return make_error("libelf: {}", elf_errmsg(-1));
  index->dw = dwarf_begin_elf(index->elf, DWARF_C_READ, nullptr);
  if (index->dw == nullptr) {
    return make_error("cannot read the DWARF of {}: {}", path, dwarf_errmsg(-1));
  }
  // Up to the CU that holds the types (every type is in one CU; see above).
  while (index->structs.empty() && index->visit_next_unit()) {
  }
  if (index->units.empty()) return make_error("{} has no DWARF (stripped?)", path);
  if (index->structs.empty()) {
    return make_error("{}: no struct types in the DWARF of the runtime package (not Go?)", path);
  }
  return Dwarf(std::move(index));
}

Result<uint64_t> Dwarf::member_offset(std::string_view type, std::string_view path) const {
  Dwarf_Die die;
  if (!index_->find_struct(type, &die)) {
    return make_error("no struct type {} in the DWARF of {}", type, index_->path);
  }
  uint64_t total = 0;
  std::string current(type);  // the struct the next component is looked up in
  size_t start = 0;
  while (start <= path.size()) {
    size_t dot = path.find('.', start);
    std::string_view part = path.substr(start, dot == std::string_view::npos ? dot : dot - start);
    std::string_view prefix = path.substr(0, dot == std::string_view::npos ? path.size() : dot);
    // "stats[1]": an element of an array member.
    std::string_view name = part;
    std::optional<uint64_t> element;
    if (size_t bracket = part.find('['); bracket != std::string_view::npos && part.back() == ']') {
      name = part.substr(0, bracket);
      std::string_view digits = part.substr(bracket + 1, part.size() - bracket - 2);
      uint64_t n = 0;
      auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
      if (ec != std::errc() || end != digits.data() + digits.size()) {
        return make_error("bad array index in member path {}", path);
      }
      element = n;
    }
    auto missing = [&]() -> Error {
      if (start == 0) return make_error("{} has no member {}", type, prefix);
      return make_error("{} has no member {} ({} has no member {})", type, prefix, current, name);
    };
    if (dwarf_tag(&die) != DW_TAG_structure_type) return missing();
    Dwarf_Die member;
    bool found = false;
    if (dwarf_child(&die, &member) == 0) {
      do {
        if (dwarf_tag(&member) == DW_TAG_member && die_name(&member) == name) {
          found = true;
          break;
        }
      } while (dwarf_siblingof(&member, &member) == 0);
    }
    if (!found) return missing();
    uint64_t offset = 0;
    if (!member_location(&member, &offset)) {
      return make_error("{}.{}: no DW_AT_data_member_location in {}", type, prefix,
                        index_->path);
    }
    total += offset;
    Dwarf_Die member_type;
    bool has_type = referenced_type(&member, &member_type);
    if (element) {
      uint64_t count = 0;
      Dwarf_Die elem_type;
      Dwarf_Word elem_size = 0;
      if (!has_type || dwarf_tag(&member_type) != DW_TAG_array_type ||
          !array_count(&member_type, &count) || !referenced_type(&member_type, &elem_type) ||
          dwarf_aggregate_size(&elem_type, &elem_size) != 0) {
        std::string_view array = prefix.substr(0, prefix.size() - (part.size() - name.size()));
        return make_error("{}.{} is not an array of known size", type, array);
      }
      if (*element >= count) {
        return make_error("{}.{}: index out of range [0, {})", type, prefix, count);
      }
      total += *element * elem_size;
      member_type = elem_type;
    }
    if (dot == std::string_view::npos) break;
    if (!has_type) return make_error("{}.{} has no type in {}", type, prefix, index_->path);
    die = member_type;
    std::string_view tname = die_name(&die);
    current = tname.empty() ? std::string("its type") : std::string(tname);
    start = dot + 1;
  }
  return total;
}

Result<uint64_t> Dwarf::type_size(std::string_view type) const {
  Dwarf_Die die;
  Dwarf_Word size = 0;
  if (!index_->find_struct(type, &die)) {
    return make_error("no struct type {} in the DWARF of {}", type, index_->path);
  }
  if (dwarf_aggregate_size(&die, &size) != 0) {
    return make_error("{} has no size in the DWARF of {}", type, index_->path);
  }
  return uint64_t{size};
}

Result<uint64_t> Dwarf::global_address(std::string_view name) const {
  std::string key(name);
  if (auto it = index_->globals.find(key); it != index_->globals.end()) return it->second;
  std::string_view package = package_of(name);
  if (!package.empty()) {
    index_->scan_package(package);
    if (auto it = index_->globals.find(key); it != index_->globals.end()) return it->second;
  }
  return make_error("no global variable {} in the DWARF of {}", name, index_->path);
}

}  // namespace gri::goelf
