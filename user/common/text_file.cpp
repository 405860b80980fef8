#include "common/text_file.h"

#include <cerrno>
#include <fstream>
#include <sstream>

namespace gri {

std::optional<std::string> read_text_file(const std::string& path, int* err) {
  errno = 0;
  std::ifstream in(path);
  std::stringstream ss;
  if (in) ss << in.rdbuf();
  if (!in) {
    if (err) *err = errno ? errno : ENOENT;
    return std::nullopt;
  }
  if (err) *err = 0;
  return ss.str();
}

}  // namespace gri
