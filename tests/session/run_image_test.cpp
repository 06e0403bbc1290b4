// The first milestone, end to end through the real bbox binary: snapshot the
// workspace, boot a VM under TCG from a busybox root file system, run the
// command, stop, diff, and flush the changes back.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include "bbox_test/busybox_rootfs.h"
#include "session/harness.h"

namespace bbox::testing {
namespace {

namespace fs = std::filesystem;

// The session meta file records the workspace path hex-encoded.
std::string hex(const std::string& s) {
  std::string out;
  for (unsigned char c : s) out += "0123456789abcdef"[c >> 4], out += "0123456789abcdef"[c & 15];
  return out;
}

// The session directory whose snapshot of `ws` holds `file` with `content`,
// waited for up to two minutes; empty if it never appears.
fs::path wait_for_session(const fs::path& ws, const std::string& file,
                          const std::string& content) {
  fs::path sessions = fs::path(BBOX_BINARY_DIR) / "test-cache/broodbox/sessions";
  for (int i = 0; i < 600; ++i) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(sessions, ec)) {
      if (read_file(e.path() / "snapshot" / file) == content &&
          read_file(e.path() / "meta").find(hex(ws.string())) != std::string::npos) {
        return e.path();
      }
    }
    ::usleep(200 * 1000);
  }
  return {};
}

class RunImage : public ::testing::Test {
 protected:
  void SetUp() override {
    rootfs_ = busybox_rootfs();
    ASSERT_FALSE(rootfs_.empty())
        << "could not build the busybox root; scripts/setup-deps.sh installs busybox-static";
    ws_ = tmp_.path() / "project";
    home_ = tmp_.path() / "home";
    fs::create_directories(ws_);
    fs::create_directories(home_);
    write_file(ws_ / "notes.txt", "hello from the host\n");
    write_file(ws_ / ".env", "API_KEY=do-not-leak\n");
  }

  RunOutput run(const std::string& script) {
    return run_bbox(ws_, home_,
                    {"run-image", "dir:" + rootfs_.string(), "--", "/bin/sh", "-c", script});
  }

  TempDir tmp_;
  fs::path rootfs_, ws_, home_;
};

TEST_F(RunImage, CommandOutputReachesTheHostAndWrittenFileIsFlushedBack) {
  RunOutput r = run("cat notes.txt; echo made-in-vm > created.txt; echo changed > notes.txt");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "hello from the host\n");
  EXPECT_EQ(read_file(ws_ / "created.txt"), "made-in-vm\n");
  EXPECT_EQ(read_file(ws_ / "notes.txt"), "changed\n");
  EXPECT_EQ(read_file(ws_ / ".env"), "API_KEY=do-not-leak\n");
}

TEST_F(RunImage, SecretFileOfTheWorkspaceIsAbsentInTheGuest) {
  RunOutput r = run("if [ -e .env ]; then echo present; else echo absent; fi; ls -a");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, 7), "absent\n");
  EXPECT_EQ(r.out.find(".env"), std::string::npos) << r.out;
}

TEST_F(RunImage, ExitCodeIsTheCommandsAndSignalDeathIs128PlusN) {
  EXPECT_EQ(run("exit 7").exit_code, 7);
  EXPECT_EQ(run("kill -9 $$").exit_code, 137);
}

TEST_F(RunImage, MissingCommandExits127NamingIt) {
  RunOutput r = run_bbox(ws_, home_, {"run-image", "dir:" + rootfs_.string(), "--",
                                      "/no/such/tool"});
  EXPECT_EQ(r.exit_code, 127);
  EXPECT_NE(r.err.find("/no/such/tool"), std::string::npos) << r.err;
}

TEST_F(RunImage, NothingChangedLeavesTheWorkspaceAsItWas) {
  RunOutput r = run("true");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file(ws_ / "notes.txt"), "hello from the host\n");
  EXPECT_FALSE(fs::exists(ws_ / "created.txt"));
}

TEST_F(RunImage, InterruptedSessionAppliesNothingAndKeepsTheChangesForReview) {
  int pid = start_bbox(ws_, home_, {"run-image", "dir:" + rootfs_.string(), "--", "/bin/sh",
                                    "-c", "echo agent > created.txt; sleep 120"});
  // Wait until the agent's write reached the snapshot, then interrupt bbox.
  fs::path session = wait_for_session(ws_, "created.txt", "agent\n");
  ASSERT_FALSE(session.empty()) << "the agent's file never reached the snapshot";
  ::kill(pid, SIGINT);
  EXPECT_EQ(wait_bbox(pid), 130);
  EXPECT_FALSE(fs::exists(ws_ / "created.txt")) << "an interrupted session was flushed";
  RunOutput list = run_bbox(ws_, home_, {"sessions"});
  EXPECT_NE(list.out.find(ws_.string()), std::string::npos) << list.out << list.err;
}

TEST_F(RunImage, AttachRunsASecondCommandInTheRunningSessionsVm) {
  int pid = start_bbox(ws_, home_, {"run-image", "dir:" + rootfs_.string(), "--", "/bin/sh",
                                    "-c", "echo up > up.txt; while [ ! -e attached.txt ]; do "
                                          "sleep 0.2; done; cat attached.txt > seen.txt"});
  fs::path session = wait_for_session(ws_, "up.txt", "up\n");
  ASSERT_FALSE(session.empty()) << "the session's command never started";
  // Other tests' sessions may run at the same time: name this one.
  RunOutput a = run_bbox(ws_, home_, {"attach", "--session", session.filename().string(), "--",
                                      "/bin/sh", "-c", "id -u; echo from-attach > attached.txt"});
  EXPECT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(a.out, "1000\n");
  EXPECT_EQ(wait_bbox(pid), 0);
  EXPECT_EQ(read_file(ws_ / "seen.txt"), "from-attach\n");
  RunOutput gone = run_bbox(ws_, home_, {"attach", "--session", session.filename().string()});
  EXPECT_EQ(gone.exit_code, 1);
  EXPECT_NE(gone.err.find("no running session is called"), std::string::npos) << gone.err;
}

TEST_F(RunImage, FailureBeforeTheCommandStartedKeepsNoSession) {
  RunOutput r = run_bbox(ws_, home_, {"run-image", "dir:" + rootfs_.string(), "--kernel",
                                      "/nonexistent/vmlinuz", "--", "/bin/true"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("bbox: error: use kernel '/nonexistent/vmlinuz': no such file\n"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("kept"), std::string::npos) << r.err;
  RunOutput list = run_bbox(ws_, home_, {"sessions"});
  EXPECT_EQ(list.out.find(ws_.string()), std::string::npos) << list.out;
}

TEST_F(RunImage, HomeThatIsASymlinkInTheImageIsReplacedNotFollowed) {
  test_support::RootfsSpec spec;
  spec.dirs = {"etc", "tmp", "proc", "sys", "dev", "run", "workspace", "home"};
  spec.files = {{"etc/passwd", test_support::kRootPasswd}, {"etc/group", test_support::kRootGroup}};
  spec.symlinks = {{"home/sandbox", "/etc"}};
  auto root = test_support::busybox_rootfs(
      fs::path(BBOX_BINARY_DIR) / "test-rootfs-busybox-symlinked-home", spec);
  ASSERT_TRUE(root.ok()) << root.error().message;
  const char* script = "stat -c '%U %F' /etc /home/sandbox; touch /etc/x || echo no";
  RunOutput r =
      run_bbox(ws_, home_, {"run-image", "dir:" + root->string(), "--", "/bin/sh", "-c", script});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "root directory\nsandbox directory\nno\n");
}

}  // namespace
}  // namespace bbox::testing
