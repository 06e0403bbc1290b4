// bbox-init booted for real: QEMU microvm under TCG, the Debian cloud kernel,
// a busybox root image with a broken /etc/passwd and no sandbox user.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>

#include "guest_vm.h"

namespace bbox::testing {
namespace {

namespace fs = std::filesystem;

class GuestBoot : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (std::system("command -v qemu-system-x86_64 >/dev/null") != 0) return;
    if (std::system("command -v apt-cache >/dev/null") != 0) return;
    char tmpl[] = "/tmp/bbox-guest-test-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) return;
    dir_ = new fs::path(tmpl);
    image_ = new fs::path(busybox_root_image(*dir_));
  }
  static void TearDownTestSuite() {
    if (dir_ != nullptr) fs::remove_all(*dir_);
    delete dir_;
    delete image_;
  }
  void SetUp() override {
    if (image_ == nullptr || image_->empty()) {
      GTEST_SKIP() << "needs qemu-system-x86_64, apt, busybox-static and mkfs.ext4";
    }
    vm_dir_ = *dir_ / ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::create_directories(vm_dir_);
  }
  static fs::path* dir_;
  static fs::path* image_;
  fs::path vm_dir_;
};

fs::path* GuestBoot::dir_ = nullptr;
fs::path* GuestBoot::image_ = nullptr;

TEST_F(GuestBoot, RunsCommandsAndReportsExitCodesAndSignals) {
  GuestVm vm(vm_dir_, *image_);
  ASSERT_TRUE(vm.ready());
  EXPECT_NE(vm.kernel_release().find("cloud-amd64"), std::string::npos);

  // Channel 1 is the session: it stays open while the others run.
  proto::ExecRequest session;
  session.argv = {"sh", "-c", "read x; echo got $x"};
  session.cwd = "/";
  vm.send(proto::Type::kExec, 1, proto::encode(session));

  auto hello = vm.run(2, {"sh", "-c", "echo hello; echo oops >&2"});
  ASSERT_TRUE(hello.got_exit) << vm.console();
  EXPECT_EQ(hello.out, "hello\n");
  EXPECT_EQ(hello.err, "oops\n");
  EXPECT_FALSE(hello.exit.signaled);
  EXPECT_EQ(hello.exit.code, 0);

  auto seven = vm.run(3, {"sh", "-c", "exit 7"});
  EXPECT_FALSE(seven.exit.signaled);
  EXPECT_EQ(seven.exit.code, 7);

  auto killed = vm.run(4, {"sh", "-c", "kill -9 $$"});
  EXPECT_TRUE(killed.exit.signaled);
  EXPECT_EQ(killed.exit.code, 9);

  auto missing = vm.run(5, {"no-such-command", "arg"});
  EXPECT_FALSE(missing.exit.signaled);
  EXPECT_EQ(missing.exit.code, 127);
  EXPECT_EQ(missing.exit.message, "no-such-command: command not found");

  auto cat = vm.run(6, {"cat"}, "piped input\n");
  EXPECT_EQ(cat.out, "piped input\n");

  // Ending the session command powers the guest off.
  vm.send(proto::Type::kStdin, 1, "done\n");
  EXPECT_TRUE(vm.wait_exit(60)) << vm.console();
}

TEST_F(GuestBoot, SandboxUserExistsWithWritableHomeDespiteBrokenPasswd) {
  GuestVm vm(vm_dir_, *image_);
  ASSERT_TRUE(vm.ready());
  auto id = vm.run(1, {"sh", "-c", "id; echo $HOME $USER; touch ~/f && echo writable; "
                                   "grep -c . /etc/passwd"});
  ASSERT_TRUE(id.got_exit) << vm.console();
  EXPECT_EQ(id.out, "uid=1000(sandbox) gid=1000(sandbox) groups=1000(sandbox)\n"
                    "/home/sandbox sandbox\nwritable\n2\n");
  EXPECT_EQ(id.exit.code, 0);
  EXPECT_TRUE(vm.wait_exit(60));
}

TEST_F(GuestBoot, TerminalCommandSeesItsWindowSize) {
  GuestVm vm(vm_dir_, *image_);
  ASSERT_TRUE(vm.ready());
  auto r = vm.run(1, {"sh", "-c", "stty size; tty"}, "", 1000, true);
  ASSERT_TRUE(r.got_exit) << vm.console();
  EXPECT_EQ(r.out, "24 80\r\n/dev/pts/0\r\n");
  EXPECT_TRUE(vm.wait_exit(60));
}

}  // namespace
}  // namespace bbox::testing
