// Reading a whole (small) file as text: /proc and /sys entries, logs of child processes.
#pragma once

#include <optional>
#include <string>

namespace gri {

// The file's contents; nullopt when it cannot be opened or read, with the errno in *err when
// err is given.
std::optional<std::string> read_text_file(const std::string& path, int* err = nullptr);

}  // namespace gri
