// goelf::resolve_layout on the real workloads of every toolchain: DWARF for plain and PIE
// binaries, the checked-in table (tools/gen-offsets) for stripped ones, field by field the
// same; the fields genuinely absent in each version, by name; no guess for unknown versions.
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>
#include <sstream>

#include <unistd.h>

#include "go_probes.h"
#include "goelf/elf_file.h"
#include "goelf/runtime_layout.h"

namespace {

using gri::goelf::ElfFile;
using gri::goelf::GoBinary;
using gri::goelf::ResolvedField;
using gri::goelf::resolve_layout;
using gri::goelf::RuntimeLayout;
using namespace gri::test;

// `go version BINARY`: "path: go1.26.8".
std::string go_version_of(const std::string& binary) {
  std::string out = run_command(go_command() + " version " + binary);
  std::smatch m;
  std::regex re(R"(: (go1\.[0-9.]+))");
  return std::regex_search(out, m, re) ? std::string(m[1]) : "";
}

RuntimeLayout layout_of(const std::string& binary, const std::string& version) {
  auto bin = GoBinary::open(binary);
  EXPECT_TRUE(bin) << bin.error().message;
  if (!bin) return {};
  return resolve_layout(*bin, version);
}

// The map structs' fields (EXP-07): described by the DWARF of a program that uses maps of
// that kind, so checked on go-probes/maps (MapFieldsAsTheMapsProbeHasThem), not on gc.
bool map_key(std::string_view key) { return key.starts_with("hmap.") || key.starts_with("maps."); }

std::set<std::string> missing_keys(const RuntimeLayout& layout) {
  std::set<std::string> out;
  for (const ResolvedField& f : layout.fields) {
    if (!f.offset && !map_key(f.key)) out.insert(f.key);
  }
  return out;
}

// The catalog fields that are genuinely not stored, per toolchain (checked in the DWARF of
// go1.19.8, go1.21.13, go1.22.12, go1.23.5, go1.24.4, go1.25.12, go1.26.8 and go1.27.3 and
// in each one's runtime sources).
std::set<std::string> expected_missing(const std::string& label) {
  int minor = go_minor(label);
  // Computed by methods in runtime/mgcpacer.go in every version 1.19-1.27.
  std::set<std::string> out = {"gcControllerState.heapGoal", "gcControllerState.trigger"};
  if (minor == 19) {
    // Not in go1.19's runtime/runtime2.go; in go1.21's.
    out.insert({"g.parentGoid", "schedt.needspinning", "schedt.totalMutexWaitTime",
                // internal/abi.Type came in 1.21; go1.19 has runtime._type.ptrdata.
                "abi.Type.PtrBytes"});
  } else {
    // runtime._type is an alias of internal/abi.Type since 1.21 (runtime/type.go).
    out.insert("_type.ptrdata");
  }
  // p.gcStopTime came in go1.23's runtime/runtime2.go.
  if (minor < 23) out.insert("p.gcStopTime");
  // work.pauseStart is in go1.21's runtime/mgc.go, not in go1.22's.
  if (minor >= 22) out.insert("workType.pauseStart");
  // p.numTimers (go1.22's runtime/runtime2.go) went with the 1.23 timers rewrite
  // (runtime/time.go).
  if (minor >= 23) out.insert("p.numTimers");
  // The 1.23 rewrite (runtime/time.go) replaced timer.pp by timer.ts, added isChan, and made
  // the heap's elements timerWhen{timer, when} instead of *timer.
  if (minor >= 23) {
    out.insert("timer.pp");
  } else {
    out.insert({"timer.ts", "timer.isChan", "timerWhen.timer", "timerWhen.when"});
  }
  return out;
}

class LayoutTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::string binary(const std::string& variant = "") const {
    return probe_path(GetParam(), "gc", variant);
  }
};

TEST_P(LayoutTest, CatalogIsWellFormed) {
  std::set<std::string_view> keys;
  for (const auto& spec : gri::goelf::field_catalog()) {
    EXPECT_TRUE(keys.insert(spec.key).second) << "duplicate key " << spec.key;
    // internal/abi.Type: runtime._type became an alias of it in Go 1.21 (runtime/type.go);
    // internal/runtime/maps: the swiss map (go1.24+).
    EXPECT_TRUE(spec.type.starts_with("runtime.") || spec.type == "internal/abi.Type" ||
                spec.type.starts_with("internal/runtime/maps."))
        << spec.key;
  }
  EXPECT_GE(keys.size(), 100u);
  // runtime.gcphase for EXP-06; allglen, allgptr, waitReasonStrings for EXP-01's census;
  // stwReasonStrings for EXP-05's pauses; the two size-class tables for EXP-04.
  EXPECT_EQ(gri::goelf::global_catalog().size(), 17u);
}

TEST_P(LayoutTest, DwarfLayoutHasEveryFieldButTheGenuinelyAbsentOnes) {
  std::string version = go_version_of(binary());
  ASSERT_EQ(version.rfind(GetParam(), 0), 0u) << version;
  RuntimeLayout layout = layout_of(binary(), version);
  ASSERT_EQ(layout.fields.size(), gri::goelf::field_catalog().size());
  EXPECT_EQ(missing_keys(layout), expected_missing(GetParam()));
  for (const ResolvedField& f : layout.fields) {
    if (map_key(f.key)) continue;
    if (f.offset) {
      EXPECT_EQ(f.source, "dwarf") << f.key;
      EXPECT_FALSE(f.member.empty()) << f.key;
      EXPECT_TRUE(f.reason.empty()) << f.key;
    } else if (f.key.starts_with("gcControllerState.")) {
      EXPECT_EQ(f.reason.rfind("computed, not stored", 0), 0u) << f.key << ": " << f.reason;
    } else {
      EXPECT_EQ(f.reason.rfind("no member ", 0), 0u) << f.reason;
      EXPECT_NE(f.reason.find(" of " + version), std::string::npos) << f.reason;
    }
  }
  // The names that moved between versions resolve through the right path.
  auto member = [&](std::string_view key) {
    for (const ResolvedField& f : layout.fields) {
      if (f.key == key) return f.member;
    }
    return std::string("?");
  };
  int minor = go_minor(GetParam());
  // schedt.runqsize became runq.size (gQueue.size) and mheap.allArenas heapArenas in go1.25's
  // runtime/runtime2.go and runtime/mheap.go; p.timers (runtime/time.go) came in go1.23.
  EXPECT_EQ(member("schedt.runqsize"), minor < 25 ? "runqsize" : "runq.size");
  EXPECT_EQ(member("p.timers.heap"), minor < 23 ? "timers.array" : "timers.heap.array");
  EXPECT_EQ(member("p.timers.lock"), minor < 23 ? "timersLock" : "timers.mu");
  EXPECT_EQ(member("mheap.heapArenas"), minor < 25 ? "allArenas" : "heapArenas");
  if (minor == 19) {
    for (const ResolvedField& f : layout.fields) {
      if (f.key == "g.parentGoid") {
        EXPECT_EQ(f.reason, "no member parentGoid in runtime.g of " + version);
      }
    }
  }
}

TEST_P(LayoutTest, StrippedTableEqualsDwarfOfTheUnstrippedTwin) {
  std::string version = go_version_of(binary());
  RuntimeLayout dwarf = layout_of(binary(), version);
  RuntimeLayout table = layout_of(binary("-stripped"), version);
  ASSERT_EQ(dwarf.fields.size(), table.fields.size());
  std::string minor = std::regex_replace(version, std::regex(R"(^go(1\.[0-9]+).*$)"), "$1");
  for (size_t i = 0; i < dwarf.fields.size(); ++i) {
    const ResolvedField& d = dwarf.fields[i];
    const ResolvedField& t = table.fields[i];
    ASSERT_EQ(d.key, t.key);
    if (map_key(d.key)) continue;
    EXPECT_EQ(d.type, t.type) << d.key;
    EXPECT_EQ(d.offset, t.offset) << d.key;
    EXPECT_EQ(d.member, t.member) << d.key;
    if (t.offset) {
      EXPECT_EQ(t.source, "table go" + minor + " (generated from " + version + ")") << t.key;
    } else {
      EXPECT_FALSE(t.reason.empty()) << t.key;
    }
  }
  // A stripped binary has neither .symtab nor DWARF: every global from code (globals_test
  // checks the addresses), or said not to exist in the release.
  ASSERT_EQ(table.globals.size(), gri::goelf::global_catalog().size());
  for (const auto& g : table.globals) {
    if (g.address) {
      EXPECT_TRUE(g.source.starts_with("code: ")) << g.name << ": " << g.source;
    } else {
      EXPECT_NE(g.reason.find("does not exist in go" + minor), std::string::npos) << g.reason;
    }
  }
}

TEST_P(LayoutTest, PieLayoutEqualsPlainLayout) {
  std::string version = go_version_of(binary());
  RuntimeLayout plain = layout_of(binary(), version);
  RuntimeLayout pie = layout_of(binary("-pie"), version);
  ASSERT_EQ(plain.fields.size(), pie.fields.size());
  for (size_t i = 0; i < plain.fields.size(); ++i) {
    EXPECT_EQ(plain.fields[i].offset, pie.fields[i].offset) << plain.fields[i].key;
  }
}

// Globals come from .symtab where there is one, else from DWARF (objcopy --strip-all
// --keep-section='.debug_*' leaves DWARF without .symtab); both equal go tool nm.
TEST_P(LayoutTest, GlobalsMatchGoToolNm) {
  TempDir dir;
  std::string no_symtab = dir.path() + "/gc-nosymtab";
  run_command("objcopy --strip-all --keep-section='.debug_*' " + binary() + " " + no_symtab);
  for (std::string variant : {"", "-pie", "nosymtab"}) {
    std::string path = variant == "nosymtab" ? no_symtab : binary(variant);
    RuntimeLayout layout = layout_of(path, go_version_of(binary()));
    std::string twin = binary(variant == "-pie" ? "-pie" : "");  // what nm can read
    std::string nm = run_command(go_command() + " tool nm " + twin);
    ASSERT_EQ(layout.globals.size(), gri::goelf::global_catalog().size());
    size_t found = 0;
    for (const auto& g : layout.globals) {
      if (!g.address) {  // go1.19 has no runtime.stwReasonStrings
        EXPECT_EQ(nm.find(" " + g.name + "\n"), std::string::npos) << g.name << ": " << g.reason;
        continue;
      }
      ++found;
      EXPECT_EQ(g.source, variant == "nosymtab" ? "dwarf" : "symtab") << g.name;
      std::smatch m;
      std::string quoted = std::regex_replace(g.symbol, std::regex("[./]"), "\\$&");
      std::regex re("\\n *([0-9a-f]+) [DdBb] " + quoted + "\\n");
      ASSERT_TRUE(std::regex_search(nm, m, re)) << g.symbol;
      EXPECT_EQ(*g.address, std::stoull(m[1], nullptr, 16)) << g.name << variant;
    }
    EXPECT_GE(found, gri::goelf::global_catalog().size() - 1);
  }
}

// The map structs as go-probes/maps has them: a bucket map's runtime.hmap up to go1.23 and in
// go1.24/1.25's noswissmap build, the swiss map's maps.Map and maps.table from go1.24 on; in
// the DWARF of the plain build and, the same, in the table for the stripped one.
TEST_P(LayoutTest, MapFieldsAsTheMapsProbeHasThem) {
  int minor = go_minor(GetParam());
  std::vector<std::pair<std::string, bool>> builds = {{"", minor >= 24}};  // variant, swiss
  if (access(probe_path(GetParam(), "maps", "-noswiss").c_str(), X_OK) == 0) {
    builds.push_back({"-noswiss", false});
  }
  for (const auto& [variant, swiss] : builds) {
    SCOPED_TRACE("maps" + variant);
    std::string plain = probe_path(GetParam(), "maps", variant);
    std::string version = go_version_of(plain);
    RuntimeLayout dwarf = layout_of(plain, version);
    RuntimeLayout table = layout_of(probe_path(GetParam(), "maps", variant + "-stripped"), version);
    ASSERT_EQ(dwarf.fields.size(), table.fields.size());
    int checked = 0;
    for (size_t i = 0; i < dwarf.fields.size(); ++i) {
      const ResolvedField& d = dwarf.fields[i];
      if (!map_key(d.key)) continue;
      bool own = d.key.starts_with(swiss ? "maps." : "hmap.");
      EXPECT_EQ(d.offset.has_value(), own) << d.key << ": " << d.reason;
      if (!own) continue;
      EXPECT_EQ(d.source, "dwarf") << d.key;
      EXPECT_EQ(table.fields[i].offset, d.offset) << d.key;
      EXPECT_EQ(table.fields[i].member, d.member) << d.key;
      checked++;
    }
    EXPECT_EQ(checked, swiss ? 9 : 7);
  }
}

// Without DWARF but with .symtab (objcopy --strip-debug, like -ldflags=-w): offsets from the
// table, globals from .symtab.
TEST_P(LayoutTest, NoDwarfButSymtabTakesGlobalsFromSymtab) {
  TempDir dir;
  std::string path = dir.path() + "/gc-nodwarf";
  run_command("objcopy --strip-debug " + binary() + " " + path);
  std::string version = go_version_of(binary());
  RuntimeLayout layout = layout_of(path, version);
  RuntimeLayout dwarf = layout_of(binary(), version);
  for (size_t i = 0; i < layout.fields.size(); ++i) {
    if (map_key(layout.fields[i].key)) continue;
    EXPECT_EQ(layout.fields[i].offset, dwarf.fields[i].offset) << layout.fields[i].key;
    if (layout.fields[i].offset) {
      EXPECT_EQ(layout.fields[i].source.rfind("table go", 0), 0u);
    }
  }
  for (size_t i = 0; i < layout.globals.size(); ++i) {
    EXPECT_EQ(layout.globals[i].address, dwarf.globals[i].address) << layout.globals[i].name;
    if (!dwarf.globals[i].address) continue;  // go1.19: no runtime.stwReasonStrings
    EXPECT_EQ(layout.globals[i].source, "symtab") << layout.globals[i].name;
  }
}

TEST_P(LayoutTest, UnknownVersionOnStrippedBinaryIsNotGuessed) {
  RuntimeLayout layout = layout_of(binary("-stripped"), "go1.99.0");
  ASSERT_EQ(layout.fields.size(), gri::goelf::field_catalog().size());
  for (const ResolvedField& f : layout.fields) {
    EXPECT_FALSE(f.offset) << f.key;
    EXPECT_TRUE(f.member.empty()) << f.key;
    EXPECT_EQ(f.reason.rfind("no offsets table for go1.99: ", 0), 0u) << f.reason;
  }
  EXPECT_FALSE(layout.offset("g.goid"));
  RuntimeLayout unknown = layout_of(binary("-stripped"), "");  // no build info
  EXPECT_FALSE(unknown.offset("g.goid"));
  EXPECT_EQ(unknown.fields.front().reason.rfind("no offsets table for Go version \"\": ", 0), 0u)
      << unknown.fields.front().reason;
}

// A binary with DWARF ignores the table: a wrong version string changes nothing but the
// reasons.
TEST_P(LayoutTest, DwarfWinsOverVersion) {
  RuntimeLayout layout = layout_of(binary(), "go1.99.0");
  EXPECT_TRUE(layout.offset("g.goid"));
  EXPECT_TRUE(layout.address("runtime.sched"));
}

INSTANTIATE_TEST_SUITE_P(Toolchains, LayoutTest, ::testing::ValuesIn(go_labels()),
                         [](const auto& info) { return param_name(info.param); });

// Every release's rows are generated from its own DWARF (tools/gen-offsets); spot values
// that the project's shared/go-runtime/offsets-amd64.md also gives.
TEST(LayoutTable, ReleasesBetweenTheToolchainsHaveTheirOwnOffsets) {
  std::string stripped = probe_path(go_labels().front(), "gc", "-stripped");
  RuntimeLayout l23 = layout_of(stripped, "go1.23.4");
  EXPECT_EQ(l23.offset("g.goid"), 160u);  // 1.23 and 1.24 only (offsets-amd64.md, runtime.g)
  EXPECT_EQ(l23.offset("p.runqhead"), 392u);
  for (const ResolvedField& f : l23.fields) {
    if (f.offset) {
      EXPECT_EQ(f.source.rfind("table go1.23 (generated from go1.23.", 0), 0u) << f.source;
    }
  }
  RuntimeLayout l25 = layout_of(stripped, "go1.25.1");
  EXPECT_EQ(l25.offset("m.p"), 200u);
  EXPECT_EQ(l25.offset("schedt.runqsize"), 128u);  // runq (112) + gQueue.size (16)
  RuntimeLayout l22 = layout_of(stripped, "go1.22.0");
  EXPECT_EQ(l22.offset("schedt.runqsize"), 120u);
  EXPECT_TRUE(l22.offset("g.sched.sp"));
  // 1.20 is not built here.
  RuntimeLayout l20 = layout_of(stripped, "go1.20.3");
  EXPECT_FALSE(l20.offset("g.goid"));
  EXPECT_EQ(l20.fields.front().reason.rfind("no offsets table for go1.20: ", 0), 0u);
}

}  // namespace
