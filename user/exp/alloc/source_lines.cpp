#include "exp/alloc/source_lines.h"

#include <elfutils/libdw.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <unordered_map>
#include <vector>

namespace gri::exp::alloc {

// Go writes no .debug_aranges, so dwarf_addrdie finds no CU: the line rows of every CU are
// read once into one table sorted by address.
struct SourceLines::Handle {
  struct Row {
    uint64_t addr;
    uint32_t file;
    int line;
    bool end;  // end of a sequence: addresses from here have no line
  };
  std::vector<std::string> files;
  std::vector<Row> rows;
};

SourceLines::SourceLines(std::unique_ptr<Handle> h) : h_(std::move(h)) {}
SourceLines::SourceLines(SourceLines&&) noexcept = default;
SourceLines::~SourceLines() = default;

Result<SourceLines> SourceLines::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error("cannot open {}: {}", path, strerror(errno));
  Dwarf* dw = dwarf_begin(fd, DWARF_C_READ);
  if (!dw) {
    close(fd);
    return make_error("{} has no DWARF line table (stripped or built with -ldflags=-w)", path);
  }
  auto h = std::make_unique<Handle>();
  std::unordered_map<std::string, uint32_t> file_ids;
  Dwarf_Off off = 0, next = 0;
  size_t header = 0;
  while (dwarf_nextcu(dw, off, &next, &header, nullptr, nullptr, nullptr) == 0) {
    Dwarf_Die cu;
    if (dwarf_offdie(dw, off + header, &cu)) {
      Dwarf_Lines* lines = nullptr;
      size_t n = 0;
      if (dwarf_getsrclines(&cu, &lines, &n) == 0) {
        for (size_t i = 0; i < n; i++) {
          Dwarf_Line* l = dwarf_onesrcline(lines, i);
          Dwarf_Addr addr = 0;
          int line = 0;
          bool end = false;
          if (!l || dwarf_lineaddr(l, &addr) != 0 || dwarf_lineno(l, &line) != 0) continue;
          dwarf_lineendsequence(l, &end);
          const char* file = dwarf_linesrc(l, nullptr, nullptr);
          std::string name = file ? file : "";
          auto [it, added] = file_ids.try_emplace(name, static_cast<uint32_t>(h->files.size()));
          if (added) h->files.push_back(name);
          h->rows.push_back({addr, it->second, line, end});
        }
      }
    }
    off = next;
  }
  dwarf_end(dw);
  close(fd);
  if (h->rows.empty()) return make_error("{} has no DWARF line table rows", path);
  std::stable_sort(h->rows.begin(), h->rows.end(),
                   [](const Handle::Row& a, const Handle::Row& b) { return a.addr < b.addr; });
  return SourceLines(std::move(h));
}

std::optional<SourceLine> SourceLines::at(uint64_t addr) const {
  auto it = std::upper_bound(h_->rows.begin(), h_->rows.end(), addr,
                             [](uint64_t a, const Handle::Row& r) { return a < r.addr; });
  if (it == h_->rows.begin()) return std::nullopt;
  --it;
  if (it->end) return std::nullopt;
  return SourceLine{h_->files[it->file], it->line};
}

}  // namespace gri::exp::alloc
