// bbox-init booted for real: QEMU microvm under TCG, the Debian cloud kernel,
// a busybox root image with a broken /etc/passwd and no sandbox user.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "bbox_test/temp_dir.h"
#include "guest_vm.h"

namespace bbox::testing {
namespace {

namespace fs = std::filesystem;

class GuestBoot : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (std::system("command -v qemu-system-x86_64 >/dev/null") != 0) return;
    if (std::system("command -v apt-cache >/dev/null") != 0) return;
    tmp_ = new test_support::TempDir("bbox-guest-test", "/tmp");
    dir_ = new fs::path(tmp_->path());
    image_ = new fs::path(busybox_root_image(*dir_));
  }
  static void TearDownTestSuite() {
    delete tmp_;
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
  static test_support::TempDir* tmp_;
  static fs::path* dir_;
  static fs::path* image_;
  fs::path vm_dir_;
};

test_support::TempDir* GuestBoot::tmp_ = nullptr;
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

  // A signal from the host reaches the command's process group.
  proto::ExecRequest sleeper;
  sleeper.argv = {"sh", "-c", "sleep 100; exit 3"};
  sleeper.cwd = "/";
  vm.send(proto::Type::kExec, 7, proto::encode(sleeper));
  vm.send(proto::Type::kSignal, 7, proto::encode_u32(15));
  auto term = vm.wait_for_exit(7);
  EXPECT_TRUE(term.exit.signaled);
  EXPECT_EQ(term.exit.code, 15);

  // Files come back on request, symlinks as links, never followed.
  auto made = vm.run(8, {"sh", "-c",
                         "mkdir -p /tmp/out/d && printf abc > /tmp/out/d/f && "
                         "ln -s /etc/passwd /tmp/out/link"});
  EXPECT_EQ(made.exit.code, 0);
  auto files = vm.get_files(9, "/tmp/out");
  EXPECT_EQ(files.error, "");
  EXPECT_EQ(files.entries["d/f"], "abc");
  EXPECT_EQ(files.entries["link"], "/etc/passwd");
  EXPECT_TRUE(files.entries.count("d"));
  EXPECT_EQ(vm.get_files(10, "/no/such").error, "stat : No such file or directory");

  // Ending the session command powers the guest off.
  vm.send(proto::Type::kStdin, 1, "done\n");
  EXPECT_TRUE(vm.wait_exit(60)) << vm.console();
}

TEST_F(GuestBoot, SetsUpSandboxUserHostnameNetworkAndHardening) {
  GuestVm vm(vm_dir_, *image_, "bbox.ip=10.0.2.15/24 bbox.gw=10.0.2.2 bbox.dns=10.0.2.3",
             {"-netdev", "user,id=n0,restrict=on", "-device", "virtio-net-device,netdev=n0"});
  ASSERT_TRUE(vm.ready());
  // The session: it runs until the host asks for shutdown.
  proto::ExecRequest session;
  session.argv = {"sleep", "1000"};
  session.cwd = "/";
  vm.send(proto::Type::kExec, 1, proto::encode(session));

  auto id = vm.run(2, {"sh", "-c",
                       "id; echo $HOME $USER; touch ~/f && echo writable; "
                       "grep -c . /etc/passwd"});
  ASSERT_TRUE(id.got_exit) << vm.console();
  EXPECT_EQ(id.out,
            "uid=1000(sandbox) gid=1000(sandbox) groups=1000(sandbox)\n"
            "/home/sandbox sandbox\nwritable\n2\n");
  EXPECT_EQ(id.exit.code, 0);

  auto sys = vm.run(3,
                    {"sh", "-c",
                     "hostname; cat /etc/resolv.conf; "
                     "ip -4 -o addr show eth0 | awk '{print $4}'; "
                     "ip route | grep default; "
                     "cat /proc/sys/kernel/kptr_restrict "
                     "/proc/sys/kernel/dmesg_restrict "
                     "/proc/sys/kernel/unprivileged_bpf_disabled "
                     "/proc/sys/kernel/modules_disabled "
                     "/proc/sys/fs/protected_symlinks; "
                     "touch /bin/x && echo root-writable"},
                    "", 0);
  EXPECT_EQ(sys.out,
            "guest-test\nnameserver 10.0.2.3\n10.0.2.15/24\n"
            "default via 10.0.2.2 dev eth0 \n2\n1\n1\n1\n1\nroot-writable\n");
  EXPECT_EQ(sys.exit.code, 0) << sys.err;

  vm.send(proto::Type::kShutdown, 0, "");
  EXPECT_TRUE(vm.wait_exit(60)) << vm.console();
}

TEST_F(GuestBoot, MountsTheWorkspaceShareWhereTheSandboxUserWrites) {
  if (::geteuid() != 0 || !fs::exists("/usr/lib/qemu/virtiofsd")) {
    GTEST_SKIP() << "starting virtiofsd directly needs root and qemu-system-common";
  }
  fs::path ws = vm_dir_ / "ws";
  fs::create_directories(ws);
  fs::permissions(ws, fs::perms::all);  // no id mapping here: let uid 1000 write
  { std::ofstream(ws / "from-host.txt") << "host\n"; }
  GuestVm vm(vm_dir_, *image_, "", {}, ws);
  ASSERT_TRUE(vm.ready());
  proto::ExecRequest req;
  req.argv = {"sh", "-c", "pwd; cat from-host.txt; echo guest > from-guest.txt"};
  vm.send(proto::Type::kExec, 1, proto::encode(req));  // cwd: /workspace by default
  auto r = vm.wait_for_exit(1);
  ASSERT_TRUE(r.got_exit) << vm.console();
  EXPECT_EQ(r.out, "/workspace\nhost\n");
  EXPECT_EQ(r.exit.code, 0) << r.err;
  EXPECT_TRUE(vm.wait_exit(60));
  std::ifstream in(ws / "from-guest.txt");
  std::string got((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(got, "guest\n");
}

TEST_F(GuestBoot, BootsFromAnErofsRootImage) {
  fs::path erofs = busybox_erofs_image(*dir_);
  if (erofs.empty()) GTEST_SKIP() << "needs mkfs.erofs (erofs-utils)";
  GuestVm vm(vm_dir_, erofs, "bbox.rootfstype=erofs");
  ASSERT_TRUE(vm.ready());
  auto r = vm.run(1, {"sh", "-c",
                      "awk '$2 == \"/\" {print $1, $3}' /proc/mounts; "
                      "grep -c ' /bbox' /proc/mounts; grep -c erofs /proc/filesystems"});
  ASSERT_TRUE(r.got_exit) << vm.console();
  // The root is the overlay; the image under it is out of the guest's view.
  EXPECT_EQ(r.out, "overlay overlay\n0\n1\n");
  EXPECT_EQ(r.exit.code, 0);
  EXPECT_TRUE(vm.wait_exit(60));
}

TEST_F(GuestBoot, ReportsOutOfMemoryKillsAndPowersOffWhenTheHostGoes) {
  GuestVm vm(vm_dir_, *image_);
  ASSERT_TRUE(vm.ready());
  proto::ExecRequest session;
  session.argv = {"sleep", "1000"};
  session.cwd = "/";
  vm.send(proto::Type::kExec, 1, proto::encode(session));

  // tail keeps the whole of a file without newlines in memory.
  auto r = vm.run(2, {"tail", "/dev/zero"});
  ASSERT_TRUE(r.got_exit) << vm.console();
  EXPECT_TRUE(r.exit.signaled);
  EXPECT_EQ(r.exit.code, 9);
  EXPECT_EQ(r.exit.message,
            "out of memory: the guest kernel killed a process of this command "
            "(give the VM more with --memory)");
  bool logged = false;
  for (const auto& l : vm.logs) logged |= l.rfind("out of memory: ", 0) == 0;
  EXPECT_TRUE(logged);

  // The session survives; when bbox's end of the port goes away, so does the VM.
  auto still = vm.run(3, {"true"});
  EXPECT_EQ(still.exit.code, 0);
  vm.disconnect();
  EXPECT_TRUE(vm.wait_exit(60)) << vm.console();
}

TEST_F(GuestBoot, TerminalCommandSeesItsWindowSize) {
  GuestVm vm(vm_dir_, *image_);
  ASSERT_TRUE(vm.ready());
  proto::ExecRequest req;
  req.argv = {"sh", "-c", "stty size; tty; echo $(ls /proc/$$/fd); read x; stty size"};
  req.cwd = "/";
  req.tty = true;
  req.winsize = {24, 80};
  vm.send(proto::Type::kExec, 1, proto::encode(req));
  // Only the terminal as 0-2, and 3: the shell's end of the $(...) pipe.
  EXPECT_EQ(vm.read_until(1, "3\r\n"), "24 80\r\n/dev/pts/0\r\n0 1 2 3\r\n");
  vm.send(proto::Type::kResize, 1, proto::encode(proto::Winsize{30, 100}));
  vm.send(proto::Type::kStdin, 1, "go\r");
  auto r = vm.wait_for_exit(1);
  ASSERT_TRUE(r.got_exit) << vm.console();
  EXPECT_EQ(r.out, "go\r\n30 100\r\n");
  EXPECT_TRUE(vm.wait_exit(60));
}

}  // namespace
}  // namespace bbox::testing
