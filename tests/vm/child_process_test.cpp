#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "vm/child_process.h"

namespace bbox::vm {
namespace {

using namespace std::chrono_literals;

// Gone, or a zombie nobody has reaped yet: either way no longer running.
bool process_dead(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return true;
  std::string line;
  std::getline(stat, line);
  size_t close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z';
}

bool dies_within(pid_t pid, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (process_dead(pid)) return true;
    std::this_thread::sleep_for(20ms);
  }
  return process_dead(pid);
}

SpawnOptions sleeper() {
  SpawnOptions o;
  o.program = "/bin/sleep";
  o.argv = {"sleep", "60"};
  return o;
}

TEST(ChildProcess, DestructorKillsAndReaps) {
  pid_t pid;
  {
    auto child = ChildProcess::spawn(sleeper());
    ASSERT_TRUE(child.ok()) << child.error().message;
    pid = child->pid();
    EXPECT_FALSE(child->poll_exit());
  }
  EXPECT_EQ(::kill(pid, 0), -1);
  EXPECT_EQ(errno, ESRCH);
}

TEST(ChildProcess, DiesWhenItsParentIsKilledWithSigkill) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pid_t parent = ::fork();
  ASSERT_GE(parent, 0);
  if (parent == 0) {
    auto child = ChildProcess::spawn(sleeper());
    pid_t pid = child.ok() ? child->pid() : -1;
    if (::write(fds[1], &pid, sizeof(pid)) != sizeof(pid)) ::_exit(1);
    ::pause();
    ::_exit(0);
  }
  ::close(fds[1]);
  pid_t grandchild = -1;
  ASSERT_EQ(::read(fds[0], &grandchild, sizeof(grandchild)),
            static_cast<ssize_t>(sizeof(grandchild)));
  ::close(fds[0]);
  ASSERT_GT(grandchild, 0);
  EXPECT_FALSE(process_dead(grandchild));

  ::kill(parent, SIGKILL);
  ::waitpid(parent, nullptr, 0);
  EXPECT_TRUE(dies_within(grandchild, 3000ms));
}

TEST(ChildProcess, ExecFailureNamesProgramAndCause) {
  SpawnOptions o;
  o.program = "/nonexistent/prog";
  o.argv = {"prog"};
  auto child = ChildProcess::spawn(o);
  ASSERT_FALSE(child.ok());
  EXPECT_EQ(child.error().message, "start prog: exec: No such file or directory");
}

TEST(ChildProcess, OnlyNamedDescriptorsAreInherited) {
  int kept[2], other[2];
  ASSERT_EQ(::pipe2(kept, O_CLOEXEC), 0);
  ASSERT_EQ(::pipe(other), 0);  // not close-on-exec: bbox must still not leak it
  SpawnOptions o;
  o.program = "/bin/sh";
  o.argv = {"sh", "-c",
            "echo kept >&" + std::to_string(kept[1]) + " && echo other >&" +
                std::to_string(other[1]) + " 2>/dev/null; exit 0"};
  o.inherit_fds = {kept[1]};
  auto child = ChildProcess::spawn(o);
  ASSERT_TRUE(child.ok());
  EXPECT_EQ(child->wait().code(), 0);
  ::close(kept[1]);
  ::close(other[1]);
  char buf[16] = {};
  EXPECT_EQ(::read(kept[0], buf, sizeof(buf)), 5);
  EXPECT_STREQ(buf, "kept\n");
  EXPECT_EQ(::read(other[0], buf, sizeof(buf)), 0);
  ::close(kept[0]);
  ::close(other[0]);
}

TEST(ChildProcess, SignalDeathReportsAs128PlusSignal) {
  auto child = ChildProcess::spawn(sleeper());
  ASSERT_TRUE(child.ok());
  child->signal(SIGTERM);
  ChildExit e = child->wait();
  EXPECT_EQ(e.code(), 128 + SIGTERM);
  EXPECT_EQ(e.describe(), "killed by signal 15");
}

TEST(RunProgram, CapturesOutputAndStatus) {
  auto r = run_program("/bin/sh", {"sh", "-c", "echo out; echo err >&2; exit 3"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status.code(), 3);
  EXPECT_EQ(r->output, "out\nerr\n");
}

}  // namespace
}  // namespace bbox::vm
