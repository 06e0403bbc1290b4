#include "vm_boot_fixture.h"

#include <pwd.h>
#include <stdlib.h>
#include <unistd.h>

#include <thread>

#include "bbox/common/paths.h"
#include "bbox_test/busybox_rootfs.h"

namespace bbox::vm::testing {

std::unique_ptr<test_support::TempDir> VmBoot::base_dir_;
fs::path VmBoot::base_;
fs::path VmBoot::root_image_;
std::string VmBoot::skip_reason_;

namespace {

using namespace std::chrono_literals;

const char* kSshAdd = "/usr/bin/ssh-add";

// The root file system of the boot tests. ssh-add and the libraries it loads
// are there for the agent forwarding tests.
Status make_root_image(const fs::path& dir, const fs::path& image) {
  test_support::RootfsSpec spec;
  spec.dirs = {"etc", "proc", "sys", "dev", "tmp", "run", "workspace", "home/sandbox"};
  spec.files = {{"etc/passwd", test_support::kRootPasswd}, {"etc/group", test_support::kRootGroup}};
  // A symlink in the sandbox home, as a hostile image could hold: files put
  // before the command must not be written through it.
  spec.symlinks = {{"home/sandbox/linked", "/etc"}};
  spec.programs = {kSshAdd};
  auto tree = test_support::busybox_rootfs(dir / "rootfs", spec);
  if (!tree) return tree.error();
  auto made = test_support::ext4_image(*tree, image);
  if (!made) return made.error();
  return ok_status();
}

}  // namespace

int sh(const std::string& command) {
  auto r = run_program("/bin/sh", {"sh", "-c", command});
  return r.ok() ? r->status.code() : -1;
}

void VmBoot::SetUpTestSuite() {
  skip_reason_ = test_support::busybox_unavailable_reason();
  if (!skip_reason_.empty()) return;
  if (::access("/usr/bin/qemu-system-x86_64", X_OK) != 0) {
    skip_reason_ = "needs qemu-system-x86";
    return;
  }
  // Short: QEMU's unix sockets live below it.
  base_dir_ = std::make_unique<test_support::TempDir>("bbvm", "/tmp");
  base_ = base_dir_->path();
  ::chmod(base_.c_str(), 0755);
  root_image_ = base_ / "root.img";
  Status s = make_root_image(base_, root_image_);
  if (!s) skip_reason_ = s.error().message;
}

void VmBoot::TearDownTestSuite() { base_dir_.reset(); }

void VmBoot::SetUp() {
  if (!skip_reason_.empty()) GTEST_SKIP() << skip_reason_;
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  dir_ = base_ / info->name();
  fs::create_directories(shared());
  fs::create_directory(session());
  ::chmod(session().c_str(), 0700);
  ::chmod(dir_.c_str(), 0755);
}

std::vector<std::string> VmBoot::driver_command(const std::vector<std::string>& guest_argv,
                                                bool tty) const {
  std::vector<std::string> a{"/usr/bin/env",
                             std::string("BBOX_INIT=") + BBOX_INIT_PATH,
                             BBOX_VM_DRIVER,
                             "--session",
                             session().string(),
                             "--shared",
                             shared().string(),
                             "--root",
                             root_image_.string(),
                             "--memory",
                             "512",
                             "--cpus",
                             "1",
                             "--timeout",
                             "240"};
  if (tty) a.push_back("--tty");
  a.push_back("--");
  a.insert(a.end(), guest_argv.begin(), guest_argv.end());
  return a;
}

Result<ChildProcess> VmBoot::start_driver(const std::vector<std::string>& argv) {
  SpawnOptions o;
  o.program = argv[0];
  o.argv = argv;
  o.env = current_environment();
  o.stderr_fd = 2;
  return ChildProcess::spawn(o);
}

DriverRun VmBoot::run_argv(const std::vector<std::string>& argv) {
  DriverRun r;
  fs::path out = dir_ / "driver.out", err = dir_ / "driver.err";
  std::string cmd = shell_quote(argv) + " </dev/null >" + shell_quote({out.string()}) + " 2>" +
                    shell_quote({err.string()});
  r.exit_code = sh(cmd);
  r.out = read_file(out);
  r.err = read_file(err);
  return r;
}

DriverRun VmBoot::run(const std::vector<std::string>& guest_argv) {
  return run_argv(driver_command(guest_argv, false));
}

bool VmBoot::wait_for_file(const fs::path& file, std::chrono::seconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (fs::exists(file)) return true;
    std::this_thread::sleep_for(200ms);
  }
  return false;
}

Status VmBoot::prepare_for(const TestUser& user) {
  std::string owner = std::to_string(user.uid) + ":" + std::to_string(user.gid);
  std::string cmd = "chown " + owner + " " + shell_quote({session().string(), shared().string()});
  fs::path kernels = paths::cache_dir() / "kernel";
  if (fs::is_directory(kernels)) {
    fs::path dest = user.home / ".cache/broodbox";
    cmd += " && mkdir -p " + shell_quote({dest.string()}) + " && cp -a " +
           shell_quote({kernels.string(), dest.string()}) + " && chown -R " + owner + " " +
           shell_quote({(user.home / ".cache").string()});
  }
  if (sh(cmd) != 0) return Error{"hand the test directories to the test user failed"};
  return ok_status();
}

DriverRun VmBoot::run_as(const TestUser& user, const std::vector<std::string>& guest_argv) {
  std::vector<std::string> argv{"/usr/sbin/runuser",
                                "-u",
                                user.name,
                                "--",
                                "/usr/bin/env",
                                "-i",
                                "HOME=" + user.home.string(),
                                "PATH=/usr/bin:/bin",
                                "XDG_CACHE_HOME=" + (user.home / ".cache").string()};
  std::vector<std::string> d = driver_command(guest_argv, false);
  argv.insert(argv.end(), d.begin() + 1, d.end());  // drop the inner /usr/bin/env
  return run_argv(argv);
}

Result<TestUser> TestUser::create(const std::string& name, uint32_t sub_start) {
  if (::getuid() != 0) return Error{"creating a test user needs root"};
  if (::access("/usr/sbin/useradd", X_OK) != 0) return Error{"useradd is not installed"};
  if (::access("/usr/bin/newuidmap", X_OK) != 0) return Error{"uidmap is not installed"};
  sh("userdel " + name + " 2>/dev/null");
  std::string range = std::to_string(sub_start) + "-" + std::to_string(sub_start + 65535);
  TestUser u;
  u.home = fs::path("/tmp") / (name + "-home");
  std::string cmd = "useradd -M -d " + u.home.string() + " -s /bin/sh " + name +
                    " && usermod --add-subuids " + range + " --add-subgids " + range + " " + name +
                    " && mkdir -p " + u.home.string() + " && chown " + name + ": " +
                    u.home.string();
  if (sh(cmd) != 0) return Error{"useradd " + name + " failed"};
  const passwd* pw = ::getpwnam(name.c_str());
  if (pw == nullptr) return Error{"user " + name + " not found after useradd"};
  u.name = name;
  u.uid = pw->pw_uid;
  u.gid = pw->pw_gid;
  return u;
}

TestUser::TestUser(TestUser&& o) noexcept
    : name(std::move(o.name)), uid(o.uid), gid(o.gid), home(std::move(o.home)) {
  o.name.clear();
}

TestUser::~TestUser() {
  if (name.empty()) return;
  sh("userdel " + name + " 2>/dev/null");
  std::error_code ec;
  fs::remove_all(home, ec);
}

}  // namespace bbox::vm::testing
