// Git in the guest: identity, token helper, known hosts, SSH agent.
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guesthome/fixture.h"

namespace bbox::guesthome::testing {
namespace {

class Git : public HomeTest {
 protected:
  void SetUp() override {
    HomeTest::SetUp();
    saved_home_ = std::getenv("HOME") ? std::getenv("HOME") : "";
    ::setenv("HOME", home.c_str(), 1);
    ::setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
    ::unsetenv("GIT_CONFIG_GLOBAL");
    ::unsetenv("XDG_CONFIG_HOME");
  }
  void TearDown() override {
    ::setenv("HOME", saved_home_.c_str(), 1);
    ::unsetenv("GIT_CONFIG_NOSYSTEM");
    HomeTest::TearDown();
  }

  // Runs the helper script with `input` on stdin and `env`; returns stdout.
  std::string run_helper(const std::string& script, const std::string& input,
                         std::vector<std::string> env) {
    write(root / "helper", script);
    write(root / "input", input);
    std::string cmd = "sh " + (root / "helper").string() + " get < " + (root / "input").string() +
                      " > " + (root / "output").string();
    std::vector<char*> envp;
    for (std::string& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    std::string sh = "/bin/sh", c = "-c";
    char* argv[] = {sh.data(), c.data(), cmd.data(), nullptr};
    pid_t pid = 0;
    EXPECT_EQ(::posix_spawn(&pid, "/bin/sh", nullptr, nullptr, argv, envp.data()), 0);
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_EQ(status, 0);
    return read(root / "output");
  }

  std::string saved_home_;
};

TEST_F(Git, HostIdentityComesFromTheHostsGitConfig) {
  write(home / ".gitconfig", "[user]\n\tname = Ada Lovelace\n\temail = ada@example.org\n");
  GitIdentity id = host_git_identity(root);
  EXPECT_EQ(id.name, "Ada Lovelace");
  EXPECT_EQ(id.email, "ada@example.org");
}

TEST_F(Git, NoIdentityOnTheHostGivesEmptyFields) {
  GitIdentity id = host_git_identity(root);
  EXPECT_EQ(id.name, "");
  EXPECT_EQ(id.email, "");
}

TEST_F(Git, GitconfigQuotesTheIdentityAndTrustsTheWorkspace) {
  HomeFiles files;
  add_git_files(GitIdentity{"Ada \"The\" \\Lovelace", "ada@example.org"}, false, files);
  EXPECT_EQ(files["/home/sandbox/.gitconfig"].data,
            "# Written by bbox for this session.\n"
            "[user]\n\tname = \"Ada \\\"The\\\" \\\\Lovelace\"\n\temail = \"ada@example.org\"\n"
            "[safe]\n\tdirectory = /workspace\n");
  EXPECT_EQ(files.count(kGitCredentialHelper), 0u);
  // git itself reads the name back unchanged.
  write(root / "gitconfig", files["/home/sandbox/.gitconfig"].data);
  ::setenv("GIT_CONFIG_GLOBAL", (root / "gitconfig").c_str(), 1);
  EXPECT_EQ(host_git_identity(root).name, "Ada \"The\" \\Lovelace");
  ::unsetenv("GIT_CONFIG_GLOBAL");
}

TEST_F(Git, TokenIsNeverInAFileOnlyInTheCommandsEnvironment) {
  const std::string token = "ghp_test_token_5f1c0e";
  ::setenv("GITHUB_TOKEN", token.c_str(), 1);
  HomePlan plan;
  plan.git_files = true;
  plan.git_identity = {"Ada", "ada@example.org"};
  plan.git_token_helper = true;
  PreparedHome prepared = prepare_guest_home(plan);
  ::unsetenv("GITHUB_TOKEN");
  ASSERT_EQ(prepared.files.size(), 3u);
  for (const vm::GuestFile& f : prepared.files) {
    EXPECT_EQ(f.data.find(token), std::string::npos) << f.path;
  }
  const vm::GuestFile* helper = nullptr;
  for (const vm::GuestFile& f : prepared.files) {
    if (f.path == kGitCredentialHelper) helper = &f;
  }
  ASSERT_NE(helper, nullptr);
  EXPECT_EQ(helper->mode, S_IFREG | 0700u);
  std::string out = run_helper(helper->data, "protocol=https\nhost=github.com\n\n",
                               {"GITHUB_TOKEN=" + token, "PATH=/usr/bin:/bin"});
  EXPECT_EQ(out, "username=x-access-token\npassword=" + token + "\n");
  EXPECT_EQ(run_helper(helper->data, "protocol=https\nhost=github.com\n\n",
                       {"GH_TOKEN=gh-other", "PATH=/usr/bin:/bin"}),
            "username=x-access-token\npassword=gh-other\n");
}

TEST_F(Git, HelperAnswersNothingForOtherHosts) {
  HomeFiles files;
  add_git_files({}, true, files);
  std::string out =
      run_helper(files[kGitCredentialHelper].data, "protocol=https\nhost=evil.example\n\n",
                 {"GITHUB_TOKEN=secret", "PATH=/usr/bin:/bin"});
  EXPECT_EQ(out, "");
  EXPECT_NE(files["/home/sandbox/.gitconfig"].data.find(
                "[credential \"https://github.com\"]\n\thelper =\n\thelper = "
                "/home/sandbox/.config/bbox/git-credential-github\n"),
            std::string::npos);
}

TEST_F(Git, KnownHostsCarryTheThreeForgesKeys) {
  HomeFiles files;
  add_git_files({}, false, files);
  const std::string& kh = files["/home/sandbox/.ssh/known_hosts"].data;
  EXPECT_EQ(kh, forge_known_hosts());
  for (const char* host : {"github.com", "gitlab.com", "bitbucket.org"}) {
    for (const char* type : {"ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa"}) {
      EXPECT_NE(kh.find(std::string(host) + " " + type + " AAAA"), std::string::npos)
          << host << " " << type;
    }
  }
  EXPECT_EQ(std::count(kh.begin(), kh.end(), '\n'), 9);
}

TEST_F(Git, SshAgentIsOnlyASocket) {
  write(root / "not-a-socket", "");
  ::setenv("SSH_AUTH_SOCK", (root / "not-a-socket").c_str(), 1);
  EXPECT_FALSE(host_ssh_agent().has_value());
  ::unsetenv("SSH_AUTH_SOCK");
  EXPECT_FALSE(host_ssh_agent().has_value());

  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::string path = (root / "agent.sock").string();
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ::setenv("SSH_AUTH_SOCK", path.c_str(), 1);
  auto found = host_ssh_agent();
  ::unsetenv("SSH_AUTH_SOCK");
  ::close(fd);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(*found, path);
}

}  // namespace
}  // namespace bbox::guesthome::testing
