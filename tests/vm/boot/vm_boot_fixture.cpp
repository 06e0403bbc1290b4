#include "vm_boot_fixture.h"

#include <pwd.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <thread>

#include "bbox/common/paths.h"

namespace bbox::vm::testing {

fs::path VmBoot::base_;
fs::path VmBoot::root_image_;
std::string VmBoot::skip_reason_;

namespace {

using namespace std::chrono_literals;

const char* kBusybox = "/bin/busybox";
const char* kSshAdd = "/usr/bin/ssh-add";

// Debian's busybox-static has no ELF interpreter; the dynamic busybox would
// not run in a root file system without a C library.
bool is_static_busybox() {
  std::string data = read_file(kBusybox);
  return !data.empty() && data.find("/lib64/ld-linux") == std::string::npos;
}

// Shell commands (run in the tree) copying ssh-add and the libraries it
// loads, for the agent forwarding tests; "true" without ssh-add.
std::string copy_ssh_add() {
  if (::access(kSshAdd, X_OK) != 0) return "true";
  std::string add(kSshAdd);
  return "for f in $(ldd " + add +
         " | grep -o '/[^ ]*'); do mkdir -p .$(dirname $f) && cp -L $f .$f; done && "
         "mkdir -p usr/bin && cp " +
         add + " usr/bin/";
}

Status make_root_image(const fs::path& dir, const fs::path& image) {
  fs::path tree = dir / "rootfs";
  for (const char* d : {"bin", "etc", "proc", "sys", "dev", "tmp", "run", "workspace", "home"}) {
    fs::create_directories(tree / d);
  }
  fs::copy_file(kBusybox, tree / "bin/busybox");
  write_file(tree / "etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
  write_file(tree / "etc/group", "root:x:0:\n");
  // A symlink in the sandbox home, as a hostile image could hold: files put
  // before the command must not be written through it.
  fs::create_directories(tree / "home/sandbox");
  fs::create_directory_symlink("/etc", tree / "home/sandbox/linked");
  std::string cmd = "cd " + shell_quote({tree.string()}) + " && " + copy_ssh_add() +
                    " && for a in $(./bin/busybox --list); do [ $a = busybox ] || "
                    "ln -s busybox bin/$a; done && truncate -s 64M " +
                    shell_quote({image.string()}) + " && mkfs.ext4 -q -F -d . " +
                    shell_quote({image.string()});
  if (sh(cmd) != 0) return Error{"make the busybox root image failed"};
  ::chmod(image.c_str(), 0644);
  return ok_status();
}

}  // namespace

std::string shell_quote(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    out += '\'';
    for (char c : a) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    out += '\'';
  }
  return out;
}

int sh(const std::string& command) {
  auto r = run_program("/bin/sh", {"sh", "-c", command});
  return r.ok() ? r->status.code() : -1;
}

void write_file(const fs::path& p, const std::string& content) {
  std::ofstream(p, std::ios::binary) << content;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void VmBoot::SetUpTestSuite() {
  if (::access(kBusybox, X_OK) != 0 || !is_static_busybox()) {
    skip_reason_ = "needs Debian's busybox-static at /bin/busybox";
    return;
  }
  if (::access("/usr/bin/qemu-system-x86_64", X_OK) != 0) {
    skip_reason_ = "needs qemu-system-x86";
    return;
  }
  char tmpl[] = "/tmp/bbvm-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) {
    skip_reason_ = "cannot create a temporary directory";
    return;
  }
  base_ = tmpl;
  ::chmod(base_.c_str(), 0755);
  root_image_ = base_ / "root.img";
  Status s = make_root_image(base_, root_image_);
  if (!s) skip_reason_ = s.error().message;
}

void VmBoot::TearDownTestSuite() {
  std::error_code ec;
  if (!base_.empty()) fs::remove_all(base_, ec);
}

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
