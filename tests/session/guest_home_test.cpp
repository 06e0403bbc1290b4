// The guest home end to end: a custom agent's settings, the host's git
// identity and GitHub token helper land in the guest; the login state the
// agent writes is saved on the host and restored at the next session.
#include <gtest/gtest.h>
#include <stdlib.h>

#include "session/harness.h"

namespace bbox::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kToken = "ghp_e2e_token_7d3a91";

TEST(GuestHome, SettingsGitAndSavedLoginReachTheGuestAndTheLoginComesBack) {
  fs::path rootfs = busybox_rootfs();
  ASSERT_FALSE(rootfs.empty()) << "could not build the busybox root (busybox-static)";
  TempDir tmp;
  fs::path ws = tmp.path() / "project", home = tmp.path() / "home";
  for (const fs::path& d : {ws, home / ".hc/rules", home / ".config/broodbox"}) {
    fs::create_directories(d);
  }
  write_file(ws / "README", "project\n");
  write_file(home / ".gitconfig", "[user]\n\tname = Test Person\n\temail = test@example.org\n");
  write_file(home / ".hc/NOTES.md", "notes from the host\n");
  write_file(home / ".hc/conf.json", R"({"keep": 1, "secret": "s3"})");
  write_file(home / ".hc/rules/r.md", "rule\n");
  fs::create_symlink("/etc/passwd", home / ".hc/rules/linked.md");
  write_file(home / ".config/broodbox/config.yaml",
             "agents:\n"
             "  homecheck:\n"
             "    image: dir:" +
                 rootfs.string() +
                 "\n"
                 "    command: [/bin/sh, -c]\n"
                 "    egress_profile: permissive\n"
                 "    credentials:\n"
                 "      persist: [.hcstate/]\n"
                 "    settings:\n"
                 "      - {category: instructions, host_path: .hc/NOTES.md}\n"
                 "      - {category: settings, host_path: .hc/conf.json, kind: merge-file,\n"
                 "         format: json, allow_keys: [keep]}\n"
                 "      - {category: rules, host_path: .hc/rules, kind: directory}\n");
  ::setenv("GITHUB_TOKEN", kToken, 1);
  ::unsetenv("GH_TOKEN");

  RunOutput first = run_bbox(
      ws, home,
      {"homecheck", "--",
       "cat ~/.hc/NOTES.md ~/.hc/conf.json ~/.hc/rules/r.md; ls ~/.hc/rules;"
       " grep -c 'name = \"Test Person\"' ~/.gitconfig;"
       " grep -c '^github.com ' ~/.ssh/known_hosts;"
       " printf 'protocol=https\\nhost=github.com\\n\\n' |"
       " ~/.config/bbox/git-credential-github get;"
       " grep -rl " +
           std::string(kToken) +
           " ~ || echo no-token-in-files;"
           " mkdir -p ~/.hcstate; echo login-1 > ~/.hcstate/login;"
           " ln -s /etc/passwd ~/.hcstate/evil"});
  ::unsetenv("GITHUB_TOKEN");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(first.out,
            "notes from the host\n{\n  \"keep\": 1\n}\nrule\nr.md\n1\n3\n"
            "username=x-access-token\npassword=" +
                std::string(kToken) + "\nno-token-in-files\n");
  EXPECT_NE(first.err.find("'~/.hc/rules/linked.md': a symlink"), std::string::npos) << first.err;
  EXPECT_NE(first.err.find("not saving credential '~/.hcstate/evil': a symlink"), std::string::npos)
      << first.err;
  fs::path saved = home / ".local/share/broodbox/agent-state/homecheck/.hcstate";
  EXPECT_EQ(read_file(saved / "login"), "login-1\n");
  EXPECT_FALSE(fs::exists(fs::symlink_status(saved / "evil")));

  RunOutput second =
      run_bbox(ws, home, {"homecheck", "--", "cat ~/.hcstate/login; ls -a ~/.hcstate"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(second.out, "login-1\n.\n..\nlogin\n");
}

}  // namespace
}  // namespace bbox::testing
