#include "exp/registry.h"

#include <gtest/gtest.h>

#include <set>

namespace {

using gri::exp::experiments;
using gri::exp::find_experiment;

TEST(Registry, EightExperimentsWithUniqueIdsAndCommands) {
  std::set<std::string_view> ids, commands;
  for (const auto& e : experiments()) {
    ids.insert(e.id);
    commands.insert(e.command);
  }
  EXPECT_EQ(experiments().size(), 8u);
  EXPECT_EQ(ids.size(), 8u);
  EXPECT_EQ(commands.size(), 8u);
}

TEST(Registry, FindsByIdAnyCaseOrByCommand) {
  const auto* gc = find_experiment("EXP-05");
  ASSERT_NE(gc, nullptr);
  EXPECT_EQ(gc->command, "gc");
  EXPECT_EQ(find_experiment("exp-05"), gc);
  EXPECT_EQ(find_experiment("gc"), gc);
  EXPECT_EQ(find_experiment("EXP-09"), nullptr);
  EXPECT_EQ(find_experiment("GC"), nullptr) << "commands are lower case, as typed on the CLI";
}

}  // namespace
