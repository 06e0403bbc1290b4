// Real microVMs under TCG, through bbox-vm-driver (run_vm with flags): a
// busybox-static root image made here, the guest kernel fetched by bbox, the
// bbox-init built beside this test.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include "bbox/vm/vm.h"
#include "vm/child_process.h"
#include "vm_boot_fixture.h"

namespace bbox::vm::testing {
namespace {

using namespace std::chrono_literals;

TEST_F(VmBoot, RunsTheCommandAndPassesItsOutputThroughAPipe) {
  DriverRun r = run({"/bin/sh", "-c", "echo hello-from-guest; echo to-stderr >&2"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "hello-from-guest\n");
  EXPECT_NE(r.err.find("to-stderr\n"), std::string::npos) << r.err;
}

TEST_F(VmBoot, ExitStatusSevenComesBack) {
  DriverRun r = run({"/bin/sh", "-c", "exit 7"});
  EXPECT_EQ(r.exit_code, 7) << r.err;
}

TEST_F(VmBoot, ShellKillingItselfWithSigkillExits137) {
  DriverRun r = run({"/bin/sh", "-c", "kill -9 $$"});
  EXPECT_EQ(r.exit_code, 137) << r.err;
}

TEST_F(VmBoot, FilesAskedForComeBackAfterTheCommandWithoutFollowingSymlinks) {
  std::vector<std::string> argv =
      driver_command({"/bin/sh", "-c",
                      "mkdir -p /home/sandbox/.cred/sub && echo tok > /home/sandbox/.cred/token && "
                      "ln -s /etc/passwd /home/sandbox/.cred/sub/link"},
                     false);
  auto dashdash = std::find(argv.begin(), argv.end(), "--");
  argv.insert(dashdash, {"--fetch", "/home/sandbox/.cred", "--fetch", "/nonexistent"});
  DriverRun r = run_argv(argv);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("fetched /home/sandbox/.cred: ok\n"
                       "  '' 40755 \n"
                       "  'token' 100644 tok\\x0a\n"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("  'sub/link' 120777 /etc/passwd\n"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("fetched /nonexistent: stat : No such file or directory"), std::string::npos)
      << r.err;
}

TEST_F(VmBoot, AttachRunsASecondCommandBesideTheSessionsOwn) {
  std::vector<std::string> main_argv = driver_command(
      {"/bin/sh", "-c",
       "touch /workspace/started; while [ ! -e /workspace/done ]; do sleep 0.2; done; "
       "echo main-done"},
      false);
  fs::path main_out = session().parent_path() / "main.out";
  std::string main_cmd = shell_quote(main_argv) + " </dev/null >" + shell_quote({main_out});
  std::thread main_run([&] { EXPECT_EQ(sh(main_cmd), 0); });
  bool started = wait_for_file(shared() / "started", 180s);
  DriverRun attach;
  if (started) {
    attach = run_argv({BBOX_VM_DRIVER, "--attach", "--session", session().string(), "--", "/bin/sh",
                       "-c",
                       "echo attached-$((6*7)); "
                       "touch /workspace/done; exit 5"});
  } else {
    write_file(shared() / "done", "");
  }
  main_run.join();
  ASSERT_TRUE(started) << read_file(session() / "console.log");
  EXPECT_EQ(attach.exit_code, 5) << attach.err;
  EXPECT_EQ(attach.out, "attached-42\n");
  EXPECT_EQ(read_file(main_out), "main-done\n");
}

TEST_F(VmBoot, AttachWithoutARunningVmSaysSo) {
  DriverRun r =
      run_argv({BBOX_VM_DRIVER, "--attach", "--session", session().string(), "--", "/bin/true"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no VM is running for this session"), std::string::npos) << r.err;
}

TEST_F(VmBoot, MissingCommandExits127WithTheGuestsMessage) {
  DriverRun r = run({"/no/such-command"});
  EXPECT_EQ(r.exit_code, 127) << r.err;
  EXPECT_NE(r.err.find("'/no/such-command'"), std::string::npos) << r.err;
}

TEST_F(VmBoot, GuestNotReadyInTimeFailsQuotingTheConsoleAndLeavesNothing) {
  std::vector<std::string> argv = driver_command({"/bin/true"}, false);
  auto timeout = std::find(argv.begin(), argv.end(), "--timeout");
  ASSERT_NE(timeout, argv.end());
  *(timeout + 1) = "1";
  DriverRun r = run_argv(argv);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("boot the VM: the guest was not ready within 1 s"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("console.log"), std::string::npos) << r.err;
  EXPECT_TRUE(find_vm_processes(session(), shared()).empty());
}

TEST_F(VmBoot, GuestOutOfMemoryIsNamedWithAHintAboutMemory) {
  std::vector<std::string> argv = driver_command({"/bin/tail", "/dev/zero"}, false);
  auto memory = std::find(argv.begin(), argv.end(), "--memory");
  ASSERT_NE(memory, argv.end());
  *(memory + 1) = "192";
  DriverRun r = run_argv(argv);
  EXPECT_EQ(r.exit_code, 137) << r.err;
  EXPECT_NE(r.err.find("out of memory"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--memory"), std::string::npos) << r.err;
}

TEST_F(VmBoot, FileWrittenToWorkspaceLandsOwnedByTheInvokingUser) {
  write_file(shared() / "in.txt", "from-host\n");
  DriverRun r = run({"/bin/sh", "-c", "cat /workspace/in.txt > /workspace/out.txt; id -u"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "1000\n");
  EXPECT_EQ(read_file(shared() / "out.txt"), "from-host\n");
  struct stat st {};
  ASSERT_EQ(::stat((shared() / "out.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, ::getuid());
  EXPECT_EQ(st.st_gid, ::getgid());
}

TEST_F(VmBoot, SttySizeFollowsAResizeOfTheHostTerminal) {
  if (::access("/usr/bin/tmux", X_OK) != 0) GTEST_SKIP() << "tmux is not installed";
  std::string tmux_session = "bbox-vm-" + std::to_string(::getpid());
  std::string guest =
      "stty size > /workspace/size1; while [ ! -e /workspace/go ]; do sleep 0.2; done; "
      "stty size > /workspace/size2";
  std::string cmd = shell_quote(driver_command({"/bin/sh", "-c", guest}, true));
  ASSERT_EQ(sh("tmux new-session -d -s " + tmux_session + " -x 100 -y 30 " + cmd), 0);

  bool first = wait_for_file(shared() / "size1", 180s);
  if (first) {
    EXPECT_EQ(sh("tmux resize-window -t " + tmux_session + " -x 120 -y 40"), 0);
    std::this_thread::sleep_for(1s);
    write_file(shared() / "go", "");
  }
  bool second = first && wait_for_file(shared() / "size2", 60s);
  sh("tmux kill-session -t " + tmux_session + " 2>/dev/null");
  ASSERT_TRUE(first) << read_file(session() / "console.log");
  EXPECT_EQ(read_file(shared() / "size1"), "30 100\n");
  ASSERT_TRUE(second);
  EXPECT_EQ(read_file(shared() / "size2"), "40 120\n");
}

// Starts a long command, waits until it runs, sends `sig` to the driver and
// checks that no QEMU or virtiofsd of the session is left.
void expect_nothing_outlives(VmBoot& t, int sig) {
  std::vector<std::string> argv =
      t.driver_command({"/bin/sh", "-c", "touch /workspace/started; sleep 600"}, false);
  auto driver = t.start_driver(argv);
  ASSERT_TRUE(driver.ok()) << driver.error().message;
  ASSERT_TRUE(t.wait_for_file(t.shared() / "started", 180s))
      << read_file(t.session() / "console.log");
  EXPECT_FALSE(find_vm_processes(t.session(), t.shared()).empty());

  ::kill(driver->pid(), sig);
  ASSERT_TRUE(driver->wait_for(30s));
  if (sig != SIGKILL) {
    EXPECT_EQ(driver->exit_status()->code(), 128 + sig);
  }
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!find_vm_processes(t.session(), t.shared()).empty() &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(find_vm_processes(t.session(), t.shared()).empty());
}

TEST_F(VmBoot, NothingOutlivesSigintToBbox) { expect_nothing_outlives(*this, SIGINT); }
TEST_F(VmBoot, NothingOutlivesSigtermToBbox) { expect_nothing_outlives(*this, SIGTERM); }
TEST_F(VmBoot, NothingOutlivesSigkillOfBbox) { expect_nothing_outlives(*this, SIGKILL); }

TEST_F(VmBoot, NormalUserGetsTheGuestsFileBackOwnedByThemselves) {
  auto user = TestUser::create("bboxvmtest", 300000);
  if (!user.ok()) GTEST_SKIP() << user.error().message;
  ASSERT_TRUE(prepare_for(*user).ok());
  DriverRun r = run_as(*user, {"/bin/sh", "-c", "echo agent > /workspace/by-agent.txt; id -u"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "1000\n");
  struct stat st {};
  ASSERT_EQ(::stat((shared() / "by-agent.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, user->uid);
  EXPECT_EQ(st.st_gid, user->gid);
  EXPECT_EQ(read_file(shared() / "by-agent.txt"), "agent\n");
}

}  // namespace
}  // namespace bbox::vm::testing
