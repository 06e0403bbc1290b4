// Settings import: what reaches the guest home, and what does not.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "bbox/config/file_config.h"
#include "guesthome/config_filter.h"
#include "guesthome/fixture.h"

namespace bbox::guesthome::testing {
namespace {

using nlohmann::json;

constexpr const char* kClaudeSettings = "/home/sandbox/.claude/settings.json";

std::vector<std::string> paths_of(const HomeFiles& files) {
  std::vector<std::string> out;
  for (const auto& [path, f] : files) out.push_back(path);
  return out;
}

using SettingsImport = HomeTest;

TEST_F(SettingsImport, ClaudeSettingsKeepOnlyTheAllowedKeys) {
  write(home / ".claude/settings.json",
        R"({"model": "opus", "permissions": {"allow": ["Bash"]}, "apiKeyHelper": "cat key",
            "env": {"ANTHROPIC_API_KEY": "sk-secret"}, "mcpServers": {"x": {}}})");
  HomeFiles files = import(builtin_settings("claude-code"));
  ASSERT_EQ(files.count(kClaudeSettings), 1u);
  json got = json::parse(files[kClaudeSettings].data);
  EXPECT_EQ(got, json::parse(R"({"model": "opus", "permissions": {"allow": ["Bash"]}})"));
  EXPECT_EQ(files[kClaudeSettings].mode, S_IFREG | 0600u);
  EXPECT_EQ(files[kClaudeSettings].data.find("sk-secret"), std::string::npos);
}

TEST_F(SettingsImport, CopiesInstructionsRulesAgentsSkillsAndCommands) {
  write(home / ".claude/CLAUDE.md", "be brief\n");
  write(home / ".claude/rules/style.md", "rule\n");
  write(home / ".claude/agents/reviewer.md", "agent\n");
  write(home / ".claude/skills/pdf/SKILL.md", "skill\n");
  write(home / ".claude/commands/ship.md", "cmd\n");
  write(home / ".claude/projects/secret.jsonl", "not settings\n");
  HomeFiles files = import(builtin_settings("claude-code"));
  EXPECT_EQ(paths_of(files),
            (std::vector<std::string>{
                "/home/sandbox/.claude/CLAUDE.md", "/home/sandbox/.claude/agents/reviewer.md",
                "/home/sandbox/.claude/commands/ship.md", "/home/sandbox/.claude/rules/style.md",
                "/home/sandbox/.claude/skills/pdf/SKILL.md"}));
  EXPECT_EQ(files["/home/sandbox/.claude/CLAUDE.md"].data, "be brief\n");
  EXPECT_EQ(messages, "");
}

TEST_F(SettingsImport, SettingsFileThatIsNotJsonIsWarnedAndSkipped) {
  write(home / ".claude/settings.json", "{ model: opus");
  write(home / ".claude/CLAUDE.md", "still imported\n");
  HomeFiles files = import(builtin_settings("claude-code"));
  EXPECT_EQ(files.count(kClaudeSettings), 0u);
  EXPECT_EQ(files.count("/home/sandbox/.claude/CLAUDE.md"), 1u);
  EXPECT_NE(messages.find("warning: skipping settings file '~/.claude/settings.json': not valid "
                          "JSON"),
            std::string::npos)
      << messages;
}

TEST_F(SettingsImport, SettingsFileThatIsAJsonArrayIsWarnedAndSkipped) {
  write(home / ".claude/settings.json", "[1, 2]");
  HomeFiles files = import(builtin_settings("claude-code"));
  EXPECT_TRUE(files.empty());
  EXPECT_NE(messages.find("not a JSON object"), std::string::npos) << messages;
}

TEST_F(SettingsImport, SymlinkedFileIsSkippedWithANote) {
  fs::create_directories(home / ".claude");
  fs::create_symlink("/etc/passwd", home / ".claude/CLAUDE.md");
  HomeFiles files = import(builtin_settings("claude-code"));
  EXPECT_TRUE(files.empty());
  EXPECT_NE(messages.find("note: skipping settings '~/.claude/CLAUDE.md': a symlink"),
            std::string::npos)
      << messages;
}

TEST_F(SettingsImport, SymlinkedStateFolderIsNotFollowed) {
  write(root / "elsewhere/CLAUDE.md", "outside the home\n");
  fs::create_directory_symlink(root / "elsewhere", home / ".claude");
  HomeFiles files = import(builtin_settings("claude-code"));
  EXPECT_TRUE(files.empty());
  EXPECT_NE(messages.find("a symlink"), std::string::npos) << messages;
}

TEST_F(SettingsImport, SettingsFolderThatIsASymlinkLoopIsSkipped) {
  fs::create_directories(home / ".claude");
  fs::create_directory_symlink("rules", home / ".claude/rules");  // points at itself
  write(home / ".claude/skills/a.md", "a\n");
  fs::create_directory_symlink("..", home / ".claude/skills/up");  // a loop through the parent
  HomeFiles files = import(builtin_settings("claude-code"));
  EXPECT_EQ(paths_of(files), std::vector<std::string>{"/home/sandbox/.claude/skills/a.md"});
  EXPECT_NE(messages.find("'~/.claude/rules': a symlink"), std::string::npos) << messages;
  EXPECT_NE(messages.find("'~/.claude/skills/up': a symlink"), std::string::npos) << messages;
}

TEST_F(SettingsImport, GigabyteFileIsSkippedWithAWarningWithoutBeingRead) {
  fs::create_directories(home / ".claude/rules");
  int fd = ::open((home / ".claude/rules/huge.md").c_str(), O_WRONLY | O_CREAT, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::ftruncate(fd, off_t{1} << 30), 0);  // sparse: 1 GiB that takes no disk
  ::close(fd);
  write(home / ".claude/rules/small.md", "ok\n");
  HomeFiles files = import(builtin_settings("claude-code"));
  EXPECT_EQ(paths_of(files), std::vector<std::string>{"/home/sandbox/.claude/rules/small.md"});
  EXPECT_NE(messages.find("warning: skipping settings file '~/.claude/rules/huge.md': 1.0 GiB is "
                          "more than the limit of 1.0 MiB"),
            std::string::npos)
      << messages;
}

TEST_F(SettingsImport, FifoInASettingsFolderIsSkippedWithoutBlocking) {
  fs::create_directories(home / ".claude/rules");
  ASSERT_EQ(::mkfifo((home / ".claude/rules/pipe.md").c_str(), 0600), 0);
  write(home / ".claude/rules/real.md", "x\n");
  HomeFiles files = import(builtin_settings("claude-code"));
  EXPECT_EQ(paths_of(files), std::vector<std::string>{"/home/sandbox/.claude/rules/real.md"});
}

TEST_F(SettingsImport, FileCountLimitStopsTheImportWithOneWarning) {
  for (int i = 0; i < 5; ++i) write(home / ".claude/rules" / fmt::format("r{}.md", i), "r\n");
  SettingsLimits limits;
  limits.max_files = 3;
  HomeFiles files = import(builtin_settings("claude-code"), limits);
  EXPECT_EQ(files.size(), 3u);
  EXPECT_NE(messages.find("settings import stopped at 3 files"), std::string::npos) << messages;
  EXPECT_EQ(messages.find("stopped", messages.find("stopped") + 1), std::string::npos);
}

TEST_F(SettingsImport, TotalSizeLimitStopsTheImport) {
  write(home / ".claude/rules/a.md", std::string(600, 'a'));
  write(home / ".claude/rules/b.md", std::string(600, 'b'));
  SettingsLimits limits;
  limits.max_total_bytes = 1000;
  HomeFiles files = import(builtin_settings("claude-code"), limits);
  EXPECT_EQ(paths_of(files), std::vector<std::string>{"/home/sandbox/.claude/rules/a.md"});
  EXPECT_NE(messages.find("settings import stopped at 1 files"), std::string::npos) << messages;
}

TEST_F(SettingsImport, FoldersDeeperThanEightLevelsAreLeftOut) {
  fs::path seven = home / ".claude/rules/1/2/3/4/5/6/7";
  write(seven / "kept.md", "k\n");
  write(seven / "8/dropped.md", "d\n");
  HomeFiles files = import(builtin_settings("claude-code"));
  EXPECT_EQ(paths_of(files),
            std::vector<std::string>{"/home/sandbox/.claude/rules/1/2/3/4/5/6/7/kept.md"});
  EXPECT_NE(messages.find("more than 8 levels deep"), std::string::npos) << messages;
}

TEST_F(SettingsImport, ExecutableBitOfASkillScriptIsKept) {
  write(home / ".claude/skills/s/run.sh", "#!/bin/sh\n");
  fs::permissions(home / ".claude/skills/s/run.sh", fs::perms(0755));
  HomeFiles files = import(builtin_settings("claude-code"));
  EXPECT_EQ(files["/home/sandbox/.claude/skills/s/run.sh"].mode, S_IFREG | 0700u);
}

TEST_F(SettingsImport, CodexTomlKeepsOnlyTheAllowedKeys) {
  write(home / ".codex/config.toml",
        "model = \"o3\"\napi_key = \"sk-secret\"\n[profiles.fast]\nmodel = \"mini\"\n"
        "[mcp_servers.local]\ncommand = \"x\"\n");
  HomeFiles files = import(builtin_settings("codex"));
  const std::string& text = files["/home/sandbox/.codex/config.toml"].data;
  EXPECT_NE(text.find("model = \"o3\""), std::string::npos) << text;
  EXPECT_NE(text.find("[profiles.fast]"), std::string::npos) << text;
  EXPECT_EQ(text.find("sk-secret"), std::string::npos) << text;
  EXPECT_EQ(text.find("mcp_servers"), std::string::npos) << text;
}

TEST_F(SettingsImport, CodexTomlThatDoesNotParseIsWarnedAndSkipped) {
  write(home / ".codex/config.toml", "model = \n[[[");
  write(home / ".codex/AGENTS.md", "agents\n");
  HomeFiles files = import(builtin_settings("codex"));
  EXPECT_EQ(paths_of(files), std::vector<std::string>{"/home/sandbox/.codex/AGENTS.md"});
  EXPECT_NE(messages.find("skipping settings file '~/.codex/config.toml': not valid TOML"),
            std::string::npos)
      << messages;
}

TEST_F(SettingsImport, OpencodeJsoncLosesCommentsAndProviderSecrets) {
  write(home / ".config/opencode/opencode.json", R"({
    // my settings
    "theme": "dark", /* inline */
    "provider": {"anthropic": {"options": {"apiKey": "sk-1", "baseURL": "https://x"}}},
    "mcp": {"local": {}},
  })");
  HomeFiles files = import(builtin_settings("opencode"));
  json got = json::parse(files["/home/sandbox/.config/opencode/opencode.json"].data);
  EXPECT_EQ(got, json::parse(R"({"theme": "dark",
      "provider": {"anthropic": {"options": {"baseURL": "https://x"}}}})"));
}

TEST_F(SettingsImport, MergeFileMergesOverTheRestoredCopy) {
  write(home / ".claude/settings.json", R"({"model": "new", "permissions": {"allow": ["A"]}})");
  HomeFiles files;
  files[kClaudeSettings] = vm::GuestFile{kClaudeSettings, S_IFREG | 0600,
                                         R"({"model": "old", "theme": "light",
                                             "permissions": {"deny": ["B"]}})"};
  import_settings(home, builtin_settings("claude-code"), files);
  EXPECT_EQ(json::parse(files[kClaudeSettings].data),
            json::parse(R"({"model": "new", "theme": "light",
                            "permissions": {"allow": ["A"], "deny": ["B"]}})"));
}

TEST_F(SettingsImport, CategoryTurnedOffIsLeftOut) {
  write(home / ".claude/rules/r.md", "r\n");
  write(home / ".claude/CLAUDE.md", "c\n");
  auto items = enabled_settings(builtin_settings("claude-code"), {{"rules", false}});
  HomeFiles files = import(items);
  EXPECT_EQ(paths_of(files), std::vector<std::string>{"/home/sandbox/.claude/CLAUDE.md"});
}

TEST_F(SettingsImport, CustomEntriesUseGuestPathKindAndAllowKeys) {
  write(home / ".myagent/conf.json", R"({"keep": 1, "drop": 2})");
  write(home / ".myagent/prompts/p.md", "p\n");
  config::SettingsEntry conf{
      "settings", ".myagent/conf.json", ".agent/conf.json", "merge-file", "json", false, {"keep"}};
  config::SettingsEntry prompts{"commands", ".myagent/prompts", "", "directory", "", true, {}};
  HomeFiles files = import(custom_settings({conf, prompts}));
  EXPECT_EQ(paths_of(files), (std::vector<std::string>{"/home/sandbox/.agent/conf.json",
                                                       "/home/sandbox/.myagent/prompts/p.md"}));
  EXPECT_EQ(json::parse(files["/home/sandbox/.agent/conf.json"].data),
            json::parse(R"({"keep":1})"));
}

TEST_F(SettingsImport, MissingRequiredCustomEntryIsAWarningOnly) {
  config::SettingsEntry e{"settings", ".nothing/here.md", "", "file", "", false, {}};
  HomeFiles files = import(custom_settings({e}));
  EXPECT_TRUE(files.empty());
  EXPECT_NE(messages.find("settings '~/.nothing/here.md' not found"), std::string::npos)
      << messages;
}

TEST_F(SettingsImport, MissingOptionalFilesSayNothing) {
  HomeFiles files = import(builtin_settings("gemini"));
  EXPECT_TRUE(files.empty());
  EXPECT_EQ(messages, "");
}

TEST_F(SettingsImport, HomeThatCannotBeOpenedIsAWarningNotAFailure) {
  HomeFiles files;
  EXPECT_EQ(import_settings(root / "no-such-home", builtin_settings("claude-code"), files), 0u);
  EXPECT_TRUE(files.empty());
  EXPECT_NE(messages.find("warning: skipping settings import"), std::string::npos) << messages;
}

TEST_F(SettingsImport, GeminiGetsTheClaudeInstructionsUnderItsOwnFolder) {
  write(home / ".claude/CLAUDE.md", "shared\n");
  HomeFiles files = import(builtin_settings("gemini"));
  EXPECT_EQ(paths_of(files), std::vector<std::string>{"/home/sandbox/.gemini/CLAUDE.md"});
}

TEST(JsoncStrip, KeepsCommentMarkersInsideStrings) {
  EXPECT_EQ(json::parse(detail::strip_jsonc(R"({"url": "http://x/*y*/", "a": [1, 2,], })")),
            json::parse(R"({"url": "http://x/*y*/", "a": [1, 2]})"));
}

}  // namespace
}  // namespace bbox::guesthome::testing
