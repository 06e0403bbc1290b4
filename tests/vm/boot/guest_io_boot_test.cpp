// Real microVMs under TCG for the two host-to-guest transports: files put
// before the command (VmSpec::files_before_exec) and SSH agent forwarding
// (VmSpec::ssh_agent_socket), through bbox-vm-driver.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "vm_boot_fixture.h"

namespace bbox::vm::testing {
namespace {

using namespace std::chrono_literals;

// argv with `extra` flags before the "--".
std::vector<std::string> with_flags(std::vector<std::string> argv,
                                    const std::vector<std::string>& extra) {
  auto dashdash = std::find(argv.begin(), argv.end(), "--");
  argv.insert(dashdash, extra.begin(), extra.end());
  return argv;
}

TEST_F(VmBoot, FilesPutBeforeTheCommandLandWithModeAndOwnerAndUnsafeOnesAreRefused) {
  fs::path host = session().parent_path();
  write_file(host / "settings.json", "{\"theme\":\"dark\"}\n");
  std::string big(1536 * 1024, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + (i * 7) % 26);
  write_file(host / "big", big);
  std::string big_sum = shell_output("sha256sum < " + shell_quote({(host / "big").string()}));

  std::string script =
      "cd /home/sandbox && stat -c '%n %a %u:%g %s' .config/app/settings.json big tool && "
      "stat -c '%n %a %u:%g' .config .config/app .ssh && cat .config/app/settings.json && "
      "sha256sum < big && ls /etc/evil 2>&1; echo command-ran";
  // One --put per line.
  // clang-format off
  std::vector<std::string> argv = with_flags(
      driver_command({"/bin/sh", "-c", script}, false),
      {"--put", "/home/sandbox/.config/app/settings.json", "100640", (host / "settings.json"),
       "--put", "/home/sandbox/big", "100600", (host / "big"),
       "--put", "/home/sandbox/.ssh", "40700", "-",
       "--put", "/home/sandbox/tool", "104755", (host / "settings.json"),
       "--put", "/etc/evil", "100644", (host / "settings.json"),
       "--put", "/home/sandbox/linked/evil", "100644", (host / "settings.json")});
  // clang-format on
  DriverRun r = run_argv(argv);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            ".config/app/settings.json 640 1000:1000 17\n"
            "big 600 1000:1000 1572864\n"
            "tool 755 1000:1000 17\n"
            ".config 700 1000:1000\n"
            ".config/app 700 1000:1000\n"
            ".ssh 700 1000:1000\n"
            "{\"theme\":\"dark\"}\n" +
                big_sum +
                "ls: /etc/evil: No such file or directory\n"
                "command-ran\n")
      << r.err;
  EXPECT_NE(r.err.find("bbox: warning: write '/etc/evil' in the guest: not a plain absolute "
                       "path under /home/sandbox\n"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("bbox: warning: write '/home/sandbox/linked/evil' in the guest: "
                       "'linked' is a symlink\n"),
            std::string::npos)
      << r.err;
}

class SshAgent : public VmBoot {
 protected:
  void SetUp() override {
    VmBoot::SetUp();
    if (IsSkipped()) return;
    for (const char* tool : {"/usr/bin/ssh-agent", "/usr/bin/ssh-add", "/usr/bin/ssh-keygen"}) {
      if (::access(tool, X_OK) != 0) GTEST_SKIP() << "needs openssh-client (" << tool << ")";
    }
    agent_dir_ = session().parent_path() / "agent";  // outside the shared directory
    fs::create_directory(agent_dir_);
    ::chmod(agent_dir_.c_str(), 0700);
    key_ = agent_dir_ / "id_ed25519";
    socket_ = agent_dir_ / "agent.sock";
    ASSERT_EQ(
        sh("ssh-keygen -q -t ed25519 -N '' -C bbox-agent-test -f " + shell_quote({key_.string()})),
        0);
    SpawnOptions o;
    o.program = "/usr/bin/ssh-agent";
    o.argv = {"ssh-agent", "-D", "-a", socket_.string()};
    o.stdout_fd = -1;
    auto agent = ChildProcess::spawn(o);
    ASSERT_TRUE(agent.ok()) << agent.error().message;
    agent_ = std::move(*agent);
    ASSERT_TRUE(wait_for_file(socket_, 10s));
    // ssh-agent binds before it listens: a connect in between is refused
    // (ssh-add exits 2), so try again for a few seconds.
    std::string add =
        "SSH_AUTH_SOCK=" + shell_quote({socket_.string()}) + " ssh-add -q " +
        shell_quote({key_.string()});
    int rc = sh(add);
    for (int i = 0; rc == 2 && i < 50; ++i) {
      std::this_thread::sleep_for(100ms);
      rc = sh(add);
    }
    ASSERT_EQ(rc, 0);
  }

  fs::path agent_dir_, key_, socket_;
  ChildProcess agent_;
};

TEST_F(SshAgent, GuestListsTheHostAgentsKeyWithoutTheKeyEnteringTheGuest) {
  std::string fingerprint = shell_output("ssh-keygen -lf " + shell_quote({key_.string() + ".pub"}));
  ASSERT_NE(fingerprint.find("bbox-agent-test"), std::string::npos) << fingerprint;
  std::string key_sum = shell_output("sha256sum < " + shell_quote({key_.string()}));
  ASSERT_EQ(key_sum.size(), 68u) << key_sum;  // 64 hex digits, "  -\n"
  key_sum.resize(64);

  // The guest hashes every file it has (but /proc, /sys, /dev) into the
  // workspace; the private key's hash must not be among them.
  std::string script =
      "echo sock=$SSH_AUTH_SOCK; stat -c '%n %a %u' /run/bbox /run/bbox/ssh-agent.sock; "
      "ssh-add -l; ssh-add -l >/dev/null && echo second-connection-ok; "
      "find / \\( -path /proc -o -path /sys -o -path /dev \\) -prune -o -type f "
      "-exec sha256sum {} + >/workspace/hashes 2>/dev/null; echo hashed";
  std::vector<std::string> argv =
      with_flags(driver_command({"/bin/sh", "-c", script}, false),
                 {"--ssh-agent", socket_.string(), "--env", "SSH_AUTH_SOCK=/host/agent.sock"});
  DriverRun r = run_argv(argv);
  ASSERT_EQ(r.exit_code, 0) << r.err << read_file(session() / "guest.log");
  EXPECT_EQ(r.out,
            "sock=/run/bbox/ssh-agent.sock\n"
            "/run/bbox 700 1000\n"
            "/run/bbox/ssh-agent.sock 600 1000\n" +
                fingerprint +
                "second-connection-ok\n"
                "hashed\n")
      << r.err << read_file(session() / "guest.log");
  EXPECT_EQ(r.err.find("warning"), std::string::npos) << r.err;
  std::string hashes = read_file(shared() / "hashes");
  EXPECT_NE(hashes.find(" /usr/bin/ssh-add\n"), std::string::npos) << hashes;
  EXPECT_EQ(hashes.find(key_sum), std::string::npos);
}

TEST_F(SshAgent, AnAttachedCommandUsesTheSessionsForwardedAgent) {
  std::string fingerprint = shell_output("ssh-keygen -lf " + shell_quote({key_.string() + ".pub"}));
  std::vector<std::string> main_argv = with_flags(
      driver_command({"/bin/sh", "-c",
                      "touch /workspace/started; while [ ! -e /workspace/done ]; do sleep 0.2; "
                      "done"},
                     false),
      {"--ssh-agent", socket_.string()});
  std::string main_cmd = shell_quote(main_argv) + " </dev/null >/dev/null";
  std::thread main_run([&] { EXPECT_EQ(sh(main_cmd), 0); });
  bool started = wait_for_file(shared() / "started", 180s);
  DriverRun attach;
  if (started) {
    attach = run_argv({BBOX_VM_DRIVER, "--attach", "--session", session().string(), "--env",
                       "SSH_AUTH_SOCK=/host/agent.sock", "--", "/bin/sh", "-c",
                       "echo $SSH_AUTH_SOCK; ssh-add -l; touch /workspace/done"});
  }
  write_file(shared() / "done", "");
  main_run.join();
  ASSERT_TRUE(started) << read_file(session() / "console.log");
  EXPECT_EQ(attach.exit_code, 0) << attach.err;
  EXPECT_EQ(attach.out, "/run/bbox/ssh-agent.sock\n" + fingerprint) << attach.err;
}

}  // namespace
}  // namespace bbox::vm::testing
