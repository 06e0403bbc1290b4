// A session's guest home as a whole: order, merging, what is fetched.
#include <nlohmann/json.hpp>

#include "bbox/common/paths.h"
#include "guesthome/fixture.h"

namespace bbox::guesthome::testing {
namespace {

using GuestHomePlan = HomeTest;

TEST_F(GuestHomePlan, RestoredCredentialsAreMergedWithImportedSettings) {
  write(store / "claude-code/.claude/.credentials.json", "{\"t\":1}");
  write(store / "claude-code/.claude/settings.json", R"({"theme": "dark", "model": "old"})");
  write(home / ".claude/settings.json", R"({"model": "new", "apiKeyHelper": "x"})");
  HomePlan plan;
  plan.agent = "claude-code";
  plan.host_home = home;
  plan.settings = builtin_settings("claude-code");
  plan.save_credentials = true;
  plan.credential_paths = {".claude/"};
  plan.credential_store = store;
  PreparedHome p = prepare_guest_home(plan);
  EXPECT_EQ(p.fetch_after_exit, std::vector<std::string>{"/home/sandbox/.claude"});
  std::map<std::string, std::string> by_path;
  for (const auto& f : p.files) by_path[f.path] = f.data;
  EXPECT_EQ(by_path["/home/sandbox/.claude/.credentials.json"], "{\"t\":1}");
  EXPECT_EQ(nlohmann::json::parse(by_path["/home/sandbox/.claude/settings.json"]),
            nlohmann::json::parse(R"({"theme": "dark", "model": "new"})"));
}

TEST_F(GuestHomePlan, NothingAskedMeansNothingWrittenAndNothingFetched) {
  write(home / ".claude/CLAUDE.md", "x");
  HomePlan plan;
  plan.agent = "run-image";
  plan.host_home = home;
  PreparedHome p = prepare_guest_home(plan);
  EXPECT_TRUE(p.files.empty());
  EXPECT_TRUE(p.fetch_after_exit.empty());
}

TEST_F(GuestHomePlan, CredentialsAreNotSavedWhenTheyAreTurnedOff) {
  HomePlan plan;
  plan.agent = "claude-code";
  plan.credential_paths = {".claude/"};
  plan.credential_store = store;
  plan.save_credentials = false;
  keep_credentials(
      plan, {},
      {vm::FetchedTree{
          "/home/sandbox/.claude", {{"", S_IFDIR | 0700, ""}, {"t", S_IFREG | 0600, "x"}}, ""}});
  EXPECT_FALSE(fs::exists(store));
}

TEST_F(GuestHomePlan, ImportedSettingsThatComeBackUnchangedAreNotSavedAsLoginState) {
  write(home / ".claude/CLAUDE.md", "host instructions\n");
  write(home / ".claude/rules/r.md", "rule\n");
  write(store / "claude-code/.claude/agents/kept.md", "restored\n");
  HomePlan plan;
  plan.agent = "claude-code";
  plan.host_home = home;
  plan.settings = builtin_settings("claude-code");
  plan.save_credentials = true;
  plan.credential_paths = {".claude/"};
  plan.credential_store = store;
  PreparedHome p = prepare_guest_home(plan);
  EXPECT_EQ(p.imported.size(), 2u);
  vm::FetchedTree back{"/home/sandbox/.claude",
                       {{"", S_IFDIR | 0700, ""},
                        {"CLAUDE.md", S_IFREG | 0600, "host instructions\n"},
                        {"rules", S_IFDIR | 0700, ""},
                        {"rules/r.md", S_IFREG | 0600, "rule, edited by the agent\n"},
                        {"agents", S_IFDIR | 0700, ""},
                        {"agents/kept.md", S_IFREG | 0600, "restored\n"},
                        {".credentials.json", S_IFREG | 0600, "{}"}},
                       ""};
  keep_credentials(plan, p, {back});
  fs::path saved = store / "claude-code/.claude";
  EXPECT_FALSE(fs::exists(saved / "CLAUDE.md"));  // next session takes the host's again
  EXPECT_EQ(read(saved / "rules/r.md"), "rule, edited by the agent\n");
  EXPECT_EQ(read(saved / "agents/kept.md"), "restored\n");
  EXPECT_EQ(read(saved / ".credentials.json"), "{}");
}

TEST_F(GuestHomePlan, HomeUnsetFallsBackToThePasswordDatabase) {
  std::string saved = std::getenv("HOME") ? std::getenv("HOME") : "";
  ::unsetenv("HOME");
  fs::path h = paths::home_dir();
  fs::path data = paths::data_dir();
  ::setenv("HOME", saved.c_str(), 1);
  EXPECT_TRUE(h.is_absolute());
  EXPECT_NE(h, fs::path());
  EXPECT_EQ(data.filename(), "broodbox");
  // And a plan built from that home runs without failing.
  HomePlan plan;
  plan.host_home = h;
  plan.settings = builtin_settings("hermes");
  PreparedHome p = prepare_guest_home(plan);
  EXPECT_TRUE(p.fetch_after_exit.empty());
}

}  // namespace
}  // namespace bbox::guesthome::testing
