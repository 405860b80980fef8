// EXP-04's -gcflags=-m parser and its comparison with observed sites.
#include "exp/alloc/escape.h"

#include <gtest/gtest.h>

namespace {

using namespace gri::exp::alloc;

// Lines as go1.26 prints them for go-probes/alloc (go build -gcflags=-m ./alloc).
constexpr const char* kOutput =
    "# gri/go-probes/alloc\n"
    "alloc/main.go:36:6: can inline allocTiny8\n"
    "alloc/main.go:36:35: new([8]byte) escapes to heap\n"
    "alloc/main.go:39:33: &scan24{} escapes to heap\n"
    "alloc/main.go:52:15: ... argument does not escape\n"
    "alloc/main.go:69:3: *n escapes to heap\n"
    "alloc/main.go:69:7: *n escapes to heap\n"
    "alloc/main.go:70:2: moved to heap: buf\n"
    "alloc/main.go:71:20: leaking param: p to result ~r0 level=0\n"
    "/usr/local/go/src/fmt/print.go:10:2: x escapes to heap\n";

TEST(AllocEscape, ParsesHeapEscapesOfThePackage) {
  auto r = parse_escapes(kOutput, "alloc/");
  ASSERT_EQ(r.size(), 4u);  // 36, 39, 69 once, 70
  EXPECT_EQ(r[0].line, 36);
  EXPECT_EQ(r[0].what, "new([8]byte)");
  EXPECT_EQ(r[2].line, 69);
  EXPECT_EQ(r[3].what, "buf");
  EXPECT_EQ(parse_escapes(kOutput).size(), 5u);  // with fmt's
}

TEST(AllocEscape, ComparesBySourceLine) {
  auto r = parse_escapes(kOutput, "alloc/");
  std::vector<ObservedSite> sites = {
      {"/src/go-probes/alloc/main.go", 36, "main.allocTiny8"},
      {"/src/go-probes/alloc/main.go", 39, "main.allocScan24"},
      {"/src/go-probes/alloc/main.go", 99, "main.other"},
      {"/src/go-probes/xalloc/main.go", 70, "main.f"},  // another directory: no match
  };
  auto c = compare_escapes(r, sites);
  EXPECT_EQ(c.confirmed.size(), 2u);
  EXPECT_EQ(c.unreported.size(), 2u);
  EXPECT_EQ(c.unobserved.size(), 2u);  // 69 and 70
}

}  // namespace
