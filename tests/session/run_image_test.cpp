// The first milestone, end to end through the real bbox binary: snapshot the
// workspace, boot a VM under TCG from a busybox root file system, run the
// command, stop, diff, and flush the changes back.
#include <gtest/gtest.h>

#include "session/harness.h"

namespace bbox::testing {
namespace {

namespace fs = std::filesystem;

class RunImage : public ::testing::Test {
 protected:
  void SetUp() override {
    rootfs_ = busybox_rootfs();
    if (rootfs_.empty()) GTEST_SKIP() << "busybox-static is not installed (/bin/busybox)";
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

}  // namespace
}  // namespace bbox::testing
