#include "go_probes.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace gri::test {

std::string build_dir() { return GRI_BUILD_DIR; }

std::vector<std::string> go_labels() {
  std::vector<std::string> out;
  std::stringstream ss(GRI_GO_LABELS);
  std::string label;
  while (std::getline(ss, label, ',')) {
    if (!label.empty()) out.push_back(label);
  }
  return out;
}

int go_minor(const std::string& label) { return std::stoi(label.substr(label.find('.') + 1)); }

std::string go_command() { return std::string("GOTOOLCHAIN=local ") + GRI_GO_COMMAND; }

std::string probe_path(const std::string& label, const std::string& name,
                       const std::string& variant) {
  return build_dir() + "/go-probes/" + label + "/" + name + variant;
}

std::string run_command(const std::string& command) {
  FILE* p = popen(command.c_str(), "r");
  if (!p) {
    ADD_FAILURE() << "cannot run: " << command;
    return "";
  }
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  int status = pclose(p);
  EXPECT_EQ(status, 0) << "command failed: " << command;
  return out;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TempDir::TempDir() {
  char tmpl[] = "/tmp/gri-test.XXXXXX";
  if (mkdtemp(tmpl)) path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

std::vector<ProbeBinary> probe_binaries(std::initializer_list<const char*> variants,
                                        const std::string& name) {
  std::vector<ProbeBinary> out;
  for (const std::string& label : go_labels()) {
    for (const char* v : variants) {
      // -cgo and -noswiss* are built on some releases only (go-probes/CMakeLists.txt:
      // GRI_CGO_LABELS, GRI_NOSWISS_LABELS); the others on every one, so that a missing
      // one fails its tests.
      std::string_view sv(v);
      bool some_releases = sv == "-cgo" || sv.starts_with("-noswiss");
      if (some_releases && access(probe_path(label, name, v).c_str(), X_OK) != 0) continue;
      out.push_back({label, v});
    }
  }
  return out;
}

void PrintTo(const ProbeBinary& b, std::ostream* os) { *os << b.label << b.variant; }

std::string param_name(std::string s) {
  for (char& c : s) {
    if (!isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return s;
}

}  // namespace gri::test
