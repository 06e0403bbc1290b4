// bbox auth list|clear, through the real binary.
#include <gtest/gtest.h>

#include <regex>

#include "cli/run_bbox.h"

namespace bbox::guesthome::testing {
namespace {

using cli::testing::Bbox;

class AuthCommand : public ::testing::Test {
 protected:
  std::filesystem::path store() const { return bbox.home().path() / "data/broodbox/agent-state"; }
  void save(const std::string& agent, const std::string& rel, const std::string& text) {
    bbox.home().write("data/broodbox/agent-state/" + agent + "/" + rel, text);
  }
  Bbox bbox;
};

TEST_F(AuthCommand, ListWithNothingSavedSaysSo) {
  auto r = bbox.run({"auth", "list"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "bbox: info: no saved credentials\n");
}

TEST_F(AuthCommand, ListShowsEachAgentWithFilesAndSize) {
  save("claude-code", ".claude/.credentials.json", "{\"token\":1}");
  save("claude-code", ".claude/todos/a.json", "[]");
  save("codex", ".codex/auth.json", std::string(2048, 'x'));
  auto r = bbox.run({"auth", "list"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream lines(r.out);
  std::string header, first, second, rest;
  std::getline(lines, header);
  std::getline(lines, first);
  std::getline(lines, second);
  EXPECT_FALSE(std::getline(lines, rest));
  EXPECT_EQ(header.substr(0, 44), "AGENT                FILES       SIZE  SAVED");
  const std::regex date("[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}");
  EXPECT_EQ(first.substr(0, 39), "claude-code              2       13 B  ");
  EXPECT_TRUE(std::regex_match(first.substr(39), date)) << first;
  EXPECT_EQ(second.substr(0, 39), "codex                    1    2.0 KiB  ");
  EXPECT_TRUE(std::regex_match(second.substr(39), date)) << second;
}

TEST_F(AuthCommand, ClearForgetsOneAgentOnly) {
  save("claude-code", ".claude/.credentials.json", "t");
  save("codex", ".codex/auth.json", "t");
  auto r = bbox.run({"auth", "clear", "claude-code"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "bbox: info: removed the saved credentials of 'claude-code'\n");
  EXPECT_FALSE(std::filesystem::exists(store() / "claude-code"));
  EXPECT_TRUE(std::filesystem::exists(store() / "codex/.codex/auth.json"));
}

TEST_F(AuthCommand, ClearOfAnAgentWithNothingSavedFails) {
  auto r = bbox.run({"auth", "clear", "gemini"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "bbox: error: clear credentials: no saved credentials for 'gemini'\n");
}

TEST_F(AuthCommand, ClearAllForgetsEveryAgent) {
  save("claude-code", ".claude/a", "t");
  save("codex", ".codex/b", "t");
  auto r = bbox.run({"auth", "clear", "--all"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(std::filesystem::exists(store() / "claude-code"));
  EXPECT_FALSE(std::filesystem::exists(store() / "codex"));
  EXPECT_EQ(bbox.run({"auth", "list"}).err, "bbox: info: no saved credentials\n");
}

TEST_F(AuthCommand, ClearWithoutAnAgentOrAllIsAUsageError) {
  auto r = bbox.run({"auth", "clear"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "bbox: error: bbox auth clear: name one agent, or --all\n");
}

TEST_F(AuthCommand, ClearRefusesAPathForAnAgentName) {
  save("claude-code", ".claude/a", "t");
  auto r = bbox.run({"auth", "clear", "../agent-state"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(std::filesystem::exists(store() / "claude-code/.claude/a"));
}

TEST_F(AuthCommand, ListWorksWithHomeUnset) {
  save("hermes", ".hermes/auth.json", "t");
  bbox.env().erase("HOME");
  auto r = bbox.run({"auth", "list"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find("hermes"), 45u) << r.out;
}

}  // namespace
}  // namespace bbox::guesthome::testing
