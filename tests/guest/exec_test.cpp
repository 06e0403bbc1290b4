// spawn() run on the host: the same code bbox-init uses to start commands,
// minus PID 1 (the test reaps its own children).
#include "exec.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "bbox_test/temp_dir.h"

namespace bbox::guest {
namespace {

namespace fs = std::filesystem;

class Spawn : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = tmp_.path(); }

  proto::ExecRequest request(std::vector<std::string> argv) {
    proto::ExecRequest r;
    r.argv = std::move(argv);
    r.env = {"PATH=" + dir_.string()};
    r.cwd = dir_.string();
    r.uid = ::getuid();
    r.gid = ::getgid();
    return r;
  }

  // Waits for the child and reads its stdout to the end.
  static std::pair<int, std::string> finish(Spawned& s) {
    std::string out;
    char buf[256];
    for (;;) {
      ssize_t n = ::read(s.output.get(), buf, sizeof buf);
      if (n > 0) {
        out.append(buf, static_cast<size_t>(n));
      } else if (n < 0 && errno == EAGAIN) {
        ::usleep(1000);
      } else {
        break;
      }
    }
    int status = 0;
    ::waitpid(s.pid, &status, 0);
    return {status, out};
  }

  void write_script(const std::string& name, const std::string& body, mode_t mode) {
    std::ofstream(dir_ / name) << body;
    ::chmod((dir_ / name).c_str(), mode);
  }

  test_support::TempDir tmp_{"bbox-spawn", "/tmp"};
  fs::path dir_;
};

TEST_F(Spawn, FindsTheCommandInTheRequestsPathAndRunsItInCwd) {
  write_script("hello", "#!/bin/sh\necho \"hi $1 from $(pwd) as $USER\"\n", 0755);
  Spawned s = spawn(request({"hello", "there"}));
  ASSERT_GT(s.pid, 0);
  EXPECT_EQ(s.start_error, "");
  auto [status, out] = finish(s);
  EXPECT_EQ(WEXITSTATUS(status), 0);
  std::string user = ::getuid() == 0 ? "root" : "sandbox";
  EXPECT_EQ(out, "hi there from " + dir_.string() + " as " + user + "\n");
}

TEST_F(Spawn, MissingCommandEnds127WithAMessageNamingIt) {
  Spawned s = spawn(request({"no-such-tool", "x"}));
  EXPECT_EQ(s.start_error, "no-such-tool: command not found");
  auto [status, out] = finish(s);
  EXPECT_EQ(WEXITSTATUS(status), 127);
  EXPECT_EQ(out, "");
}

TEST_F(Spawn, ScriptWithMissingInterpreterEnds126SayingSo) {
  write_script("tool", "#!/nonexistent/interpreter\n", 0755);
  Spawned s = spawn(request({"tool"}));
  EXPECT_EQ(s.start_error, "tool: cannot run: its interpreter or loader is missing");
  EXPECT_EQ(WEXITSTATUS(finish(s).first), 126);
}

TEST_F(Spawn, FileWithoutExecutePermissionEnds126) {
  write_script("data", "not a program", 0644);
  Spawned s = spawn(request({dir_.string() + "/data"}));
  EXPECT_EQ(s.start_error, dir_.string() + "/data: Permission denied");
  EXPECT_EQ(WEXITSTATUS(finish(s).first), 126);
}

TEST_F(Spawn, MissingWorkingDirectoryEnds126) {
  auto r = request({"true"});
  r.cwd = "/nonexistent-dir";
  Spawned s = spawn(r);
  EXPECT_EQ(s.start_error, "cd /nonexistent-dir: No such file or directory");
  EXPECT_EQ(WEXITSTATUS(finish(s).first), 126);
}

TEST(CommandEnv, AddsDefaultsWithoutOverridingTheRequest) {
  proto::ExecRequest r;
  r.env = {"PATH=/opt/bin", "FOO=bar"};
  r.uid = 1000;
  r.tty = true;
  EXPECT_EQ(command_env(r),
            (std::vector<std::string>{"PATH=/opt/bin", "FOO=bar", "HOME=/home/sandbox",
                                      "USER=sandbox", "LOGNAME=sandbox", "TERM=xterm-256color"}));
  r.env = {"HOME=/x", "TERM=dumb"};
  r.uid = 0;
  EXPECT_EQ(command_env(r), (std::vector<std::string>{
                                "HOME=/x", "TERM=dumb",
                                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                "USER=root", "LOGNAME=root"}));
}

TEST(CommandEnv, ForwardedAgentSocketReplacesTheRequestsSshAuthSock) {
  proto::ExecRequest r;
  r.env = {"SSH_AUTH_SOCK=/tmp/ssh-host/agent.1", "FOO=bar"};
  r.uid = 1000;
  std::vector<std::string> env = command_env(r, "/run/bbox/ssh-agent.sock");
  EXPECT_EQ(std::count_if(env.begin(), env.end(),
                          [](const std::string& e) { return e.rfind("SSH_AUTH_SOCK=", 0) == 0; }),
            1);
  EXPECT_NE(std::find(env.begin(), env.end(), "SSH_AUTH_SOCK=/run/bbox/ssh-agent.sock"), env.end());
  EXPECT_NE(std::find(env.begin(), env.end(), "FOO=bar"), env.end());
  // Without forwarding, the request's value passes untouched.
  env = command_env(r);
  EXPECT_NE(std::find(env.begin(), env.end(), "SSH_AUTH_SOCK=/tmp/ssh-host/agent.1"), env.end());
}

}  // namespace
}  // namespace bbox::guest
