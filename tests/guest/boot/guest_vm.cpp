#include "guest_vm.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "bbox/vm/initramfs.h"
#include "bbox/vm/kernel.h"
#include "bbox_test/busybox_rootfs.h"

namespace bbox::testing {
namespace fs = std::filesystem;

namespace {

pid_t start_qemu(const std::vector<std::string>& args, const fs::path& log) {
  pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

UniqueFd connect_unix(const fs::path& path) {
  for (int i = 0; i < 500; ++i) {
    UniqueFd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    if (::connect(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return s;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return UniqueFd();
}

// The host's TSC rate, which TCG guests see (see guest_cmdline.h kTscKhz).
std::string tsc_param() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("cpu MHz", 0) != 0) continue;
    double mhz = std::atof(line.substr(line.find(':') + 1).c_str());
    if (mhz > 0) return " tsc_early_khz=" + std::to_string(static_cast<long>(mhz * 1000));
  }
  return "";
}

}  // namespace

fs::path busybox_root_image(const fs::path& dir) {
  test_support::RootfsSpec spec;
  // An image whose passwd is broken and lacks sandbox: bbox-init must cope.
  spec.files = {{"etc/passwd",
                 "root:x:0:0:root:/root:/bin/sh\ngarbage line\n"
                 "node:x:1000:1000::/home/node:/bin/sh\n"}};
  auto tree = test_support::busybox_rootfs(dir / "rootfs", spec);
  if (!tree) return {};
  auto image = test_support::ext4_image(*tree, dir / "root.ext4");
  return image ? *image : fs::path();
}

fs::path busybox_erofs_image(const fs::path& dir) {
  if (busybox_root_image(dir).empty()) return {};
  auto image = test_support::erofs_image(dir / "rootfs", dir / "root.erofs");
  return image ? *image : fs::path();
}

GuestVm::GuestVm(const fs::path& dir, const fs::path& root_image, const std::string& extra_cmdline,
                 const std::vector<std::string>& extra_qemu_args, const fs::path& workspace)
    : dir_(dir) {
  boot(root_image, extra_cmdline, extra_qemu_args, workspace);
}

void GuestVm::boot(const fs::path& root_image, const std::string& extra_cmdline,
                   std::vector<std::string> extra_qemu_args, const fs::path& workspace) {
  std::string machine = "microvm,x-option-roms=off,isa-serial=on,rtc=on";
  if (!workspace.empty()) {
    // vhost-user needs guest memory QEMU can share with virtiofsd.
    fs::path fs_sock = dir_ / "virtiofs.sock";
    virtiofsd_ = start_qemu({"/usr/lib/qemu/virtiofsd", "--socket-path=" + fs_sock.string(), "-o",
                             "source=" + workspace.string(), "-o", "cache=auto"},
                            dir_ / "virtiofsd.log");
    for (int i = 0; i < 200 && !fs::exists(fs_sock); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    machine += ",memory-backend=mem";
    extra_qemu_args.insert(extra_qemu_args.end(),
                           {"-object", "memory-backend-memfd,id=mem,size=256M,share=on", "-chardev",
                            "socket,id=fs,path=" + fs_sock.string(), "-device",
                            "vhost-user-fs-device,chardev=fs,tag=workspace"});
  }
  auto kernel = vm::ensure_kernel(std::nullopt);
  ASSERT_TRUE(kernel.ok()) << kernel.error().message;
  auto initramfs = vm::ensure_initramfs(*kernel, BBOX_INIT_PATH);
  ASSERT_TRUE(initramfs.ok()) << initramfs.error().message;
  fs::path sock = dir_ / "control.sock";
  std::string append =
      "console=ttyS0 quiet panic=-1 bbox.root=/dev/vda bbox.rootfstype=ext4 "
      "bbox.tmp=64 bbox.hostname=guest-test " +
      extra_cmdline + tsc_param();
  std::vector<std::string> args = {
      "qemu-system-x86_64",
      "-M",
      machine,
      "-nodefaults",
      "-no-user-config",
      "-no-reboot",
      "-accel",
      "tcg",
      "-cpu",
      "max",
      "-m",
      "256",
      "-kernel",
      kernel->vmlinuz.string(),
      "-initrd",
      initramfs->string(),
      "-append",
      append,
      "-global",
      "virtio-mmio.force-legacy=false",
      "-device",
      "virtio-serial-device",
      "-chardev",
      "socket,id=ctl,path=" + sock.string() + ",server=on,wait=off",
      "-device",
      "virtserialport,chardev=ctl,name=org.broodbox.control",
      "-drive",
      "file=" + root_image.string() + ",format=raw,if=none,id=root,readonly=on",
      "-device",
      "virtio-blk-device,drive=root",
      "-serial",
      "file:" + (dir_ / "console.log").string(),
      "-display",
      "none"};
  args.insert(args.end(), extra_qemu_args.begin(), extra_qemu_args.end());
  qemu_ = start_qemu(args, dir_ / "qemu.log");
  sock_ = connect_unix(sock);
  ASSERT_TRUE(sock_.valid()) << "no control socket; qemu log: " << console();

  proto::Frame f;
  while (next_frame(&f, 120000)) {
    if (f.type == proto::Type::kHello) {
      proto::Hello h;
      ASSERT_TRUE(proto::decode(f.payload, &h));
      release_ = h.kernel_release;
      ready_ = true;
      return;
    }
  }
  FAIL() << "no Hello from the guest; console:\n" << console();
}

GuestVm::~GuestVm() {
  if (qemu_ > 0 && !wait_exit(0)) {
    ::kill(qemu_, SIGKILL);
    ::waitpid(qemu_, nullptr, 0);
  }
  if (virtiofsd_ > 0) {
    ::kill(virtiofsd_, SIGTERM);
    ::waitpid(virtiofsd_, nullptr, 0);
  }
}

bool GuestVm::wait_exit(int seconds) {
  if (qemu_ <= 0) return true;
  for (int i = 0; i <= seconds * 10; ++i) {
    if (::waitpid(qemu_, nullptr, WNOHANG) == qemu_) {
      qemu_ = -1;
      return true;
    }
    if (seconds > 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

std::string GuestVm::console() const {
  std::ifstream in(dir_ / "console.log");
  std::stringstream ss;
  ss << in.rdbuf();
  std::ifstream q(dir_ / "qemu.log");
  ss << q.rdbuf();
  return ss.str();
}

void GuestVm::send(proto::Type type, uint32_t channel, const std::string& payload) {
  std::string frame = proto::encode_frame(type, channel, payload);
  ASSERT_EQ(::write(sock_.get(), frame.data(), frame.size()), static_cast<ssize_t>(frame.size()));
}

bool GuestVm::next_frame(proto::Frame* f, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    if (auto got = reader_.next()) {
      *f = std::move(*got);
      if (f->type == proto::Type::kLog) logs.push_back(f->payload);
      return true;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{sock_.get(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[65536];
    ssize_t n = ::read(sock_.get(), buf, sizeof buf);
    if (n <= 0) return false;
    reader_.feed(buf, static_cast<size_t>(n));
  }
}

CommandResult GuestVm::run(uint32_t channel, const std::vector<std::string>& argv,
                           const std::string& input, uint32_t uid, bool tty) {
  proto::ExecRequest req;
  req.argv = argv;
  req.cwd = "/";
  req.uid = uid;
  req.gid = uid;
  req.tty = tty;
  req.winsize = {24, 80};
  send(proto::Type::kExec, channel, proto::encode(req));
  if (!input.empty()) send(proto::Type::kStdin, channel, input);
  send(proto::Type::kStdin, channel, "");
  return wait_for_exit(channel);
}

std::string GuestVm::read_until(uint32_t channel, const std::string& suffix) {
  std::string out;
  proto::Frame f;
  while (!out.ends_with(suffix) && next_frame(&f, 60000)) {
    if (f.channel == channel && f.type == proto::Type::kStdout) out += f.payload;
  }
  return out;
}

CommandResult GuestVm::wait_for_exit(uint32_t channel) {
  CommandResult r;
  proto::Frame f;
  while (next_frame(&f, 120000)) {
    if (f.channel != channel) continue;
    if (f.type == proto::Type::kStdout) r.out += f.payload;
    if (f.type == proto::Type::kStderr) r.err += f.payload;
    if (f.type == proto::Type::kExit) {
      r.got_exit = proto::decode(f.payload, &r.exit);
      break;
    }
  }
  return r;
}

FetchedFiles GuestVm::get_files(uint32_t channel, const std::string& path) {
  send(proto::Type::kFileGet, channel, path);
  FetchedFiles out;
  proto::Frame f;
  while (next_frame(&f, 60000)) {
    if (f.channel != channel) continue;
    if (f.type == proto::Type::kFileData) {
      proto::FileChunk c;
      if (proto::decode(f.payload, &c)) out.entries[c.path] += c.data;
    }
    if (f.type == proto::Type::kFileEnd) {
      out.error = f.payload;
      break;
    }
  }
  return out;
}

}  // namespace bbox::testing
