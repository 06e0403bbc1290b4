// Start-up cost of a bbox VM: the time from run_vm(argv = {"true"}) to its
// return (virtiofsd, QEMU, kernel, bbox-init, the command, the ordered stop)
// against a bare QEMU boot of the same kernel, machine and CPU settings whose
// initramfs holds only a no-op init that powers off. Both are measured in the
// same run and printed as a ratio, with run_vm's phase table.
//
// Usage: bbox_bench_vm [RUNS]   (default 3; medians are reported)
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "bbox/vm/kernel.h"
#include "bbox/vm/vm.h"
#include "vm/child_process.h"
#include "vm/cpio.h"
#include "vm/qemu.h"

namespace {

namespace fs = std::filesystem;
using namespace bbox;
using namespace bbox::vm;
using Clock = std::chrono::steady_clock;
using Ms = std::chrono::milliseconds;

constexpr uint64_t kMemoryMib = 512;
constexpr int kCpus = 1;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

bool make_root_image(const fs::path& dir) {
  std::string cmd =
      "set -e; cd '" + dir.string() +
      "'; mkdir -p rootfs/bin rootfs/etc rootfs/proc rootfs/sys "
      "rootfs/dev rootfs/tmp rootfs/run rootfs/workspace rootfs/home; cp /bin/busybox rootfs/bin/; "
      "for a in $(rootfs/bin/busybox --list); do [ $a = busybox ] || ln -s busybox rootfs/bin/$a; "
      "done; echo 'root:x:0:0:root:/root:/bin/sh' > rootfs/etc/passwd; "
      "echo 'root:x:0:' > rootfs/etc/group; truncate -s 48M root.img; "
      "mkfs.ext4 -q -F -d rootfs root.img";
  auto r = run_program("/bin/sh", {"sh", "-c", cmd});
  return r.ok() && r->status.code() == 0;
}

fs::path make_noop_initramfs(const fs::path& dir) {
  CpioWriter w;
  w.add_directory("dev");
  w.add_char_device("dev/console", 5, 1);
  w.add_file("init", slurp(BBOX_NOOP_INIT), 0755);
  fs::path p = dir / "noop.cpio";
  std::ofstream(p, std::ios::binary) << std::move(w).finish();
  return p;
}

// The machine of qemu_args() without the devices bbox adds.
std::vector<std::string> bare_args(const Kernel& k, const fs::path& initramfs,
                                   const fs::path& console, const std::string& cmdline) {
  return {"qemu-system-x86_64",
          "-M",
          "microvm,x-option-roms=off,isa-serial=on,rtc=on",
          "-m",
          std::to_string(kMemoryMib) + "M",
          "-smp",
          std::to_string(kCpus),
          "-nodefaults",
          "-no-user-config",
          "-no-reboot",
          "-display",
          "none",
          "-accel",
          "tcg",
          "-cpu",
          "max",
          "-kernel",
          k.vmlinuz.string(),
          "-initrd",
          initramfs.string(),
          "-append",
          cmdline,
          "-serial",
          "file:" + console.string()};
}

Ms bare_boot(const std::vector<std::string>& args) {
  SpawnOptions o;
  o.program = kQemuPath;
  o.argv = args;
  o.env = {"PATH=/usr/bin:/bin"};
  auto start = Clock::now();
  auto child = ChildProcess::spawn(o);
  if (!child) {
    std::fprintf(stderr, "bare boot: %s\n", child.error().message.c_str());
    return Ms(-1);
  }
  if (!child->wait_for(std::chrono::seconds(300))) return Ms(-1);
  return std::chrono::duration_cast<Ms>(Clock::now() - start);
}

Result<VmResult> bbox_boot(const fs::path& dir, int i, Ms* wall) {
  VmSpec s;
  s.session_dir = dir / ("s" + std::to_string(i));
  s.shared_dir = dir / ("w" + std::to_string(i));
  fs::create_directories(s.shared_dir);
  fs::create_directory(s.session_dir);
  ::chmod(s.session_dir.c_str(), 0700);
  s.root_image = dir / "root.img";
  s.accel = Accel::kTcg;
  s.cpus = kCpus;
  s.memory_mib = kMemoryMib;
  s.argv = {"true"};
  s.tty = false;
  s.ready_timeout_seconds = 300;
  auto start = Clock::now();
  auto r = run_vm(s);
  *wall = std::chrono::duration_cast<Ms>(Clock::now() - start);
  return r;
}

long long median(std::vector<long long> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? -1 : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int runs = argc > 1 ? std::max(1, std::atoi(argv[1])) : 3;
  ::setenv("BBOX_INIT", BBOX_INIT_PATH, 0);
  char tmpl[] = "/tmp/bbvm-bench-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr || !make_root_image(tmpl)) {
    std::fprintf(stderr, "bbox_bench_vm: cannot make the root image (needs busybox-static)\n");
    return 1;
  }
  fs::path dir = tmpl;
  auto kernel = ensure_kernel(std::nullopt);
  if (!kernel) {
    std::fprintf(stderr, "bbox_bench_vm: %s\n", kernel.error().message.c_str());
    return 1;
  }
  VmSpec cmdline_spec;
  std::string cmdline = guest_kernel_cmdline(cmdline_spec, "ext4", host_tsc_khz("/proc/cpuinfo"));
  auto bare = bare_args(*kernel, make_noop_initramfs(dir), dir / "bare-console.log", cmdline);

  std::vector<long long> bare_ms, bbox_ms, kern, ready, session, stop;
  for (int i = 0; i < runs; ++i) {
    bare_ms.push_back(bare_boot(bare).count());
    Ms wall{0};
    auto r = bbox_boot(dir, i, &wall);
    if (!r || r->exit_code != 0) {
      std::fprintf(stderr, "bbox_bench_vm: run_vm failed: %s\n",
                   r ? r->message.c_str() : r.error().message.c_str());
      std::error_code ec;
      fs::remove_all(dir, ec);
      return 1;
    }
    bbox_ms.push_back(wall.count());
    kern.push_back(r->timings.kernel_initramfs.count());
    ready.push_back(r->timings.start_to_ready.count());
    session.push_back(r->timings.session.count());
    stop.push_back(r->timings.stop.count());
  }
  std::error_code ec;
  fs::remove_all(dir, ec);

  double ratio = static_cast<double>(median(bbox_ms)) / static_cast<double>(median(bare_ms));
  std::printf("vm start-up, TCG, %d vCPU, %llu MiB, medians of %d runs\n", kCpus,
              static_cast<unsigned long long>(kMemoryMib), runs);
  std::printf("  bare QEMU boot, no-op init, to exit   %7lld ms\n", median(bare_ms));
  std::printf("  bbox run_vm -- true, to return        %7lld ms\n", median(bbox_ms));
  std::printf("  ratio bbox / bare                     %7.2f\n", ratio);
  std::printf("phases of run_vm\n");
  std::printf("  kernel/initramfs                      %7lld ms\n", median(kern));
  std::printf("  VM start to ready                     %7lld ms\n", median(ready));
  std::printf("  session                               %7lld ms\n", median(session));
  std::printf("  stop                                  %7lld ms\n", median(stop));
  return 0;
}
