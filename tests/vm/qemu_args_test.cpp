#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "vm/qemu.h"
#include "vm/virtiofs.h"

namespace bbox::vm {
namespace {

namespace fs = std::filesystem;

VmSpec spec_with_secret() {
  VmSpec s;
  s.session_dir = "/tmp/s,1";
  s.shared_dir = "/tmp/s,1/snapshot";
  s.root_image = "/img/root,a.ext4";
  s.memory_mib = 1024;
  s.cpus = 3;
  s.argv = {"claude", "--token-in-argv-is-never-forwarded"};
  s.env = {"ANTHROPIC_API_KEY=sk-secret-value"};
  return s;
}

QemuLaunch launch_for(const VmSpec& s, Accel accel) {
  QemuLaunch l;
  l.accel = accel;
  l.vmlinuz = "/k/vmlinuz";
  l.initramfs = "/k/initramfs.cpio";
  l.kernel_cmdline = guest_kernel_cmdline(s, "ext4", std::nullopt);
  l.files = SessionFiles::in(s.session_dir);
  return l;
}

bool has_pair(const std::vector<std::string>& a, const std::string& k, const std::string& v) {
  for (size_t i = 0; i + 1 < a.size(); ++i) {
    if (a[i] == k && a[i + 1] == v) return true;
  }
  return false;
}

TEST(QemuArgs, NothingOfTheCommandOrItsEnvironmentIsOnTheCommandLine) {
  VmSpec s = spec_with_secret();
  for (const auto& arg : qemu_args(s, launch_for(s, Accel::kTcg))) {
    EXPECT_EQ(arg.find("sk-secret-value"), std::string::npos) << arg;
    EXPECT_EQ(arg.find("token-in-argv"), std::string::npos) << arg;
  }
}

TEST(QemuArgs, TcgUsesTheMaxCpuModelAndKvmTheHostOne) {
  VmSpec s = spec_with_secret();
  auto tcg = qemu_args(s, launch_for(s, Accel::kTcg));
  EXPECT_TRUE(has_pair(tcg, "-accel", "tcg"));
  EXPECT_TRUE(has_pair(tcg, "-cpu", "max"));
  auto kvm = qemu_args(s, launch_for(s, Accel::kKvm));
  EXPECT_TRUE(has_pair(kvm, "-accel", "kvm"));
  EXPECT_TRUE(has_pair(kvm, "-cpu", "host"));
}

TEST(QemuArgs, MemoryCpusAndSharedBackendFollowTheSpec) {
  VmSpec s = spec_with_secret();
  auto a = qemu_args(s, launch_for(s, Accel::kTcg));
  EXPECT_TRUE(has_pair(a, "-m", "1024M"));
  EXPECT_TRUE(has_pair(a, "-smp", "3"));
  EXPECT_TRUE(has_pair(a, "-object", "memory-backend-memfd,id=mem,size=1024M,share=on"));
  EXPECT_TRUE(has_pair(a, "-global", "virtio-mmio.force-legacy=false"));
}

TEST(QemuArgs, RunsUnderASeccompSandbox) {
  VmSpec s = spec_with_secret();
  auto a = qemu_args(s, launch_for(s, Accel::kTcg));
  EXPECT_TRUE(has_pair(a, "-sandbox",
                       "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"));
}

TEST(QemuArgs, CommasInPathsAreDoubledForQemusOptionParser) {
  VmSpec s = spec_with_secret();
  auto a = qemu_args(s, launch_for(s, Accel::kTcg));
  EXPECT_TRUE(
      has_pair(a, "-drive", "file=/img/root,,a.ext4,format=raw,if=none,id=root,readonly=on"));
  EXPECT_TRUE(has_pair(a, "-chardev", "socket,id=ctl,server=off,path=/tmp/s,,1/control.sock"));
  EXPECT_TRUE(has_pair(a, "-serial", "file:/tmp/s,,1/console.log"));
}

TEST(QemuArgs, NetworkOnlyWhenTheSpecHasOne) {
  VmSpec s = spec_with_secret();
  auto a = qemu_args(s, launch_for(s, Accel::kTcg));
  EXPECT_EQ(std::find(a.begin(), a.end(), "-netdev"), a.end());
  s.network = GuestNetwork{"/tmp/net.sock", "10.0.2.15/24", "10.0.2.2", "10.0.2.3"};
  a = qemu_args(s, launch_for(s, Accel::kTcg));
  EXPECT_TRUE(
      has_pair(a, "-netdev", "stream,id=n0,server=off,addr.type=unix,addr.path=/tmp/net.sock"));
  EXPECT_TRUE(has_pair(a, "-device", "virtio-net-device,netdev=n0"));
}

TEST(GuestCmdline, CarriesRootTmpHostnameAndNetwork) {
  VmSpec s = spec_with_secret();
  s.tmp_size_mib = 512;
  s.hostname = "box";
  s.network = GuestNetwork{"/tmp/net.sock", "10.0.2.15/24", "10.0.2.2", "10.0.2.3"};
  EXPECT_EQ(guest_kernel_cmdline(s, "erofs", 2600000u),
            "console=ttyS0 quiet panic=-1 reboot=t tsc_early_khz=2600000 bbox.root=/dev/vda "
            "bbox.rootfstype=erofs bbox.tmp=512 bbox.hostname=box bbox.ip=10.0.2.15/24 "
            "bbox.gw=10.0.2.2 bbox.dns=10.0.2.3");
}

TEST(RootFsType, ErofsRecognisedByItsSuperblockMagic) {
  fs::path p = fs::temp_directory_path() / ("bbox-img-" + std::to_string(::getpid()));
  std::string img(4096, '\0');
  img[1024] = '\xe2';
  img[1025] = '\xe1';
  img[1026] = '\xf5';
  img[1027] = '\xe0';
  std::ofstream(p, std::ios::binary) << img;
  EXPECT_EQ(detect_root_fs_type(p), "erofs");
  std::ofstream(p, std::ios::binary) << std::string(4096, '\0');
  EXPECT_EQ(detect_root_fs_type(p), "ext4");
  fs::remove(p);
}

TEST(HostTsc, ReadFromCpuMhz) {
  fs::path p = fs::temp_directory_path() / ("bbox-cpuinfo-mhz-" + std::to_string(::getpid()));
  std::ofstream(p) << "processor\t: 0\ncpu MHz\t\t: 2599.998\n";
  EXPECT_EQ(host_tsc_khz(p.string()), std::optional<uint64_t>(2599998));
  std::ofstream(p) << "processor\t: 0\n";
  EXPECT_EQ(host_tsc_khz(p.string()), std::nullopt);
  fs::remove(p);
}

TEST(VirtiofsdArgs, InheritedSocketAndEscapedSource) {
  auto a = virtiofsd_args("/w/a,b", 7);
  EXPECT_EQ(a, (std::vector<std::string>{"virtiofsd", "--fd=7", "-o", "source=/w/a\\,b", "-o",
                                         "cache=auto", "--rlimit-nofile=0"}));
}

}  // namespace
}  // namespace bbox::vm
