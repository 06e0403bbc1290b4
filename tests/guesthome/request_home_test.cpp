// From config and flags to the session's guest home plan (cli/guest_home.h).
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <fstream>

#include "cli/guest_home.h"

namespace bbox::cli {
namespace {

namespace fs = std::filesystem;

class GuestHomeRequest : public ::testing::Test {
 protected:
  void SetUp() override {
    cfg = config::builtin_config();
    ::unsetenv("GITHUB_TOKEN");
    ::unsetenv("GH_TOKEN");
    ::unsetenv("SSH_AUTH_SOCK");
  }
  void TearDown() override {
    ::unsetenv("GITHUB_TOKEN");
    ::unsetenv("SSH_AUTH_SOCK");
  }
  session::SessionRequest plan(RunKind kind, const std::string& agent = "claude-code") {
    RunTarget t{kind, {}};
    if (kind == RunKind::kAgent)
      t.agent = *cfg.find_agent(agent);
    else
      t.agent.name = agent;
    session::SessionRequest req;
    apply_guest_home(cfg, t, flags, req);
    return req;
  }

  config::EffectiveConfig cfg;
  RunFlags flags;
};

TEST_F(GuestHomeRequest, BuiltinAgentGetsItsSettingsItsLoginAndGit) {
  auto req = plan(RunKind::kAgent);
  EXPECT_EQ(req.home.agent, "claude-code");
  EXPECT_EQ(req.home.settings.size(), guesthome::builtin_settings("claude-code").size());
  EXPECT_FALSE(req.home.host_home.empty());
  EXPECT_TRUE(req.home.save_credentials);
  EXPECT_EQ(req.home.credential_paths, cfg.find_agent("claude-code")->credential_paths);
  EXPECT_EQ(req.home.credential_paths.front(), ".claude/");
  EXPECT_TRUE(req.home.git_files);
  EXPECT_FALSE(req.home.git_token_helper);  // no token on the host
}

TEST_F(GuestHomeRequest, NoSettingsFlagImportsNothing) {
  flags.no_settings = true;
  EXPECT_TRUE(plan(RunKind::kAgent).home.settings.empty());
}

TEST_F(GuestHomeRequest, SettingsImportOffInConfigImportsNothing) {
  cfg.settings_import.value = false;
  EXPECT_TRUE(plan(RunKind::kAgent).home.settings.empty());
}

TEST_F(GuestHomeRequest, CategoryTurnedOffInConfigIsLeftOut) {
  cfg.settings_categories["skills"].value = false;
  for (const auto& item : plan(RunKind::kAgent).home.settings) EXPECT_NE(item.category, "skills");
  EXPECT_EQ(plan(RunKind::kAgent).home.settings.size(), 5u);
}

TEST_F(GuestHomeRequest, NoSaveCredentialsFlagAndConfigBothTurnSavingOff) {
  flags.no_save_credentials = true;
  EXPECT_FALSE(plan(RunKind::kAgent).home.save_credentials);
  flags.no_save_credentials = false;
  cfg.save_credentials.value = false;
  EXPECT_FALSE(plan(RunKind::kAgent).home.save_credentials);
}

TEST_F(GuestHomeRequest, SeedingIsOffUnlessTheConfigTurnsItOn) {
  EXPECT_FALSE(plan(RunKind::kAgent).home.seed_host_credentials);
  cfg.seed_host_credentials.value = true;
  EXPECT_TRUE(plan(RunKind::kAgent).home.seed_host_credentials);
  flags.no_save_credentials = true;
  EXPECT_FALSE(plan(RunKind::kAgent).home.seed_host_credentials);
}

TEST_F(GuestHomeRequest, TokenIsForwardedThroughTheEnvironmentForAgents) {
  ::setenv("GITHUB_TOKEN", "ghp_x", 1);
  auto req = plan(RunKind::kAgent);
  EXPECT_EQ(req.env["GITHUB_TOKEN"], "ghp_x");
  EXPECT_TRUE(req.home.git_token_helper);
}

TEST_F(GuestHomeRequest, NoGitTokenDropsTheTokenEvenWhenAPatternForwardedIt) {
  ::setenv("GITHUB_TOKEN", "ghp_x", 1);
  flags.no_git_token = true;
  RunTarget t{RunKind::kAgent, *cfg.find_agent("codex")};
  session::SessionRequest req;
  req.env["GITHUB_TOKEN"] = "ghp_x";  // as if env_forward had matched it
  apply_guest_home(cfg, t, flags, req);
  EXPECT_EQ(req.env.count("GITHUB_TOKEN"), 0u);
  EXPECT_FALSE(req.home.git_token_helper);
}

TEST_F(GuestHomeRequest, RunImageImportsAndSavesNothingAndTakesTheTokenOnlyWhenAsked) {
  ::setenv("GITHUB_TOKEN", "ghp_x", 1);
  auto req = plan(RunKind::kRunImage, "run-image");
  EXPECT_TRUE(req.home.settings.empty());
  EXPECT_FALSE(req.home.save_credentials);
  EXPECT_EQ(req.env.count("GITHUB_TOKEN"), 0u);
  EXPECT_FALSE(req.home.git_token_helper);
  flags.git_token = true;
  req = plan(RunKind::kRunImage, "run-image");
  EXPECT_EQ(req.env["GITHUB_TOKEN"], "ghp_x");
  EXPECT_TRUE(req.home.git_token_helper);
}

TEST_F(GuestHomeRequest, RunImageKeepsATokenForwardedWithEnvButWritesNoHelper) {
  RunTarget t{RunKind::kRunImage, {}};
  t.agent.name = "run-image";
  session::SessionRequest req;
  req.env["GITHUB_TOKEN"] = "ghp_x";  // --env GITHUB_TOKEN
  apply_guest_home(cfg, t, flags, req);
  EXPECT_EQ(req.env["GITHUB_TOKEN"], "ghp_x");
  EXPECT_FALSE(req.home.git_token_helper);
}

TEST_F(GuestHomeRequest, TokenForwardingOffInConfigDropsTheTokenForAgents) {
  ::setenv("GITHUB_TOKEN", "ghp_x", 1);
  cfg.git_forward_token.value = false;
  auto req = plan(RunKind::kAgent);
  EXPECT_EQ(req.env.count("GITHUB_TOKEN"), 0u);
  EXPECT_FALSE(req.home.git_token_helper);
}

TEST_F(GuestHomeRequest, SshAgentIsForwardedUnlessTurnedOff) {
  std::string dir = (fs::temp_directory_path() / "bbox-agent-XXXXXX").string();
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  std::string path = dir + "/agent.sock";
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ::setenv("SSH_AUTH_SOCK", path.c_str(), 1);

  EXPECT_EQ(plan(RunKind::kAgent).home.ssh_agent_socket, path);
  EXPECT_EQ(plan(RunKind::kRunImage, "run-image").home.ssh_agent_socket, "");
  flags.no_git_ssh_agent = true;
  EXPECT_EQ(plan(RunKind::kAgent).home.ssh_agent_socket, "");
  flags.no_git_ssh_agent = false;
  cfg.git_forward_ssh_agent.value = false;
  EXPECT_EQ(plan(RunKind::kAgent).home.ssh_agent_socket, "");

  ::close(fd);
  fs::remove_all(dir);
}

TEST_F(GuestHomeRequest, CustomAgentSettingsComeFromItsDeclaration) {
  std::string dir = (fs::temp_directory_path() / "bbox-cfg-XXXXXX").string();
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  fs::path file = fs::path(dir) / "config.yaml";
  std::ofstream(file) << "agents:\n  mine:\n    image: example/mine\n    command: [mine]\n"
                         "    egress_profile: permissive\n"
                         "    credentials:\n      persist: [.mine/]\n"
                         "    settings:\n      - {category: rules, host_path: .mine/rules,"
                         " kind: directory}\n";
  auto loaded = config::load_config({file, std::nullopt});
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  cfg = *loaded;
  auto req = plan(RunKind::kAgent, "mine");
  ASSERT_EQ(req.home.settings.size(), 1u);
  EXPECT_EQ(req.home.settings[0].host_path, ".mine/rules");
  EXPECT_EQ(req.home.settings[0].kind, guesthome::EntryKind::kDirectory);
  EXPECT_EQ(req.home.credential_paths, std::vector<std::string>{".mine/"});
  fs::remove_all(dir);
}

}  // namespace
}  // namespace bbox::cli
