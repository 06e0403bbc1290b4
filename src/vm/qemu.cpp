#include "vm/qemu.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "bbox/vm/guest_cmdline.h"
#include "vm/unix_socket.h"

namespace bbox::vm {
namespace {

namespace gc = bbox::guest_cmdline;

void add(std::vector<std::string>& a, std::initializer_list<std::string> items) {
  a.insert(a.end(), items);
}

std::string param(const char* name, const std::string& value) {
  return fmt::format(" {}={}", name, value);
}

void add_machine(std::vector<std::string>& a, const VmSpec& spec, Accel accel) {
  // ACPI stays on: the cloud kernel finds virtio-mmio devices only through
  // ACPI (it lacks CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES).
  // One option and its value per line.
  // clang-format off
  add(a, {
      "-M", "microvm,x-option-roms=off,isa-serial=on,rtc=on,memory-backend=mem",
      "-object", fmt::format("memory-backend-memfd,id=mem,size={}M,share=on", spec.memory_mib),
      "-m", fmt::format("{}M", spec.memory_mib),
      "-smp", std::to_string(spec.cpus),
      "-nodefaults", "-no-user-config", "-no-reboot",
      "-display", "none",
      // QEMU parses what the guest sends: a seccomp filter keeps it from
      // spawning programs, raising privileges or using obsolete calls.
      "-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny",
      // vhost-user devices refuse virtio-mmio's legacy mode.
      "-global", "virtio-mmio.force-legacy=false"});
  // clang-format on
  if (accel == Accel::kKvm) {
    add(a, {"-accel", "kvm", "-cpu", "host"});
  } else {
    // The default TCG CPU model lacks instructions modern binaries expect.
    add(a, {"-accel", "tcg", "-cpu", "max"});
  }
}

void add_devices(std::vector<std::string>& a, const VmSpec& spec, const QemuLaunch& l) {
  const SessionFiles& f = l.files;
  add(a,
      {"-serial", "file:" + qemu_escape(f.console_log.string()), "-device", "virtio-serial-device",
       "-chardev", "socket,id=ctl,server=off,path=" + qemu_escape(f.control_socket.string()),
       "-device", fmt::format("virtserialport,chardev=ctl,name={}", gc::kControlPortName), "-drive",
       fmt::format("file={},format=raw,if=none,id=root,readonly=on",
                   qemu_escape(spec.root_image.string())),
       "-device", "virtio-blk-device,drive=root", "-chardev",
       "socket,id=fs,path=" + qemu_escape(f.virtiofs_socket.string()), "-device",
       fmt::format("vhost-user-fs-device,chardev=fs,tag={}", gc::kWorkspaceTag)});
  if (spec.network) {
    add(a, {"-netdev",
            "stream,id=n0,server=off,addr.type=unix,addr.path=" +
                qemu_escape(spec.network->socket.string()),
            "-device", "virtio-net-device,netdev=n0"});
  }
  add(a, {"-qmp", fmt::format("unix:{},server=on,wait=off", qemu_escape(f.qmp_socket.string()))});
}

// Reads one QMP line (a JSON object) or fails after the deadline.
Result<std::string> read_line(int fd, std::chrono::steady_clock::time_point deadline) {
  std::string line;
  char c;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return Error{"QMP: no answer in time"};
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    ssize_t n = ::read(fd, &c, 1);
    if (n <= 0) return Error{"QMP: connection closed"};
    if (c == '\n') return line;
    if (line.size() < 65536) line += c;
  }
}

}  // namespace

SessionFiles SessionFiles::in(const std::filesystem::path& d) {
  return {d / "console.log", d / "control.sock",  d / "virtiofs.sock", d / "qmp.sock",
          d / "qemu.log",    d / "virtiofsd.log", d / "attach.sock"};
}

std::string qemu_escape(const std::string& value) {
  std::string out;
  for (char c : value) {
    out += c;
    if (c == ',') out += ',';
  }
  return out;
}

std::string guest_kernel_cmdline(const VmSpec& spec, const std::string& root_fs_type,
                                 const std::optional<uint64_t>& tsc_khz) {
  std::string c = gc::kBaseCmdline;
  c += " reboot=t";  // a triple fault resets at once; -no-reboot turns that into QEMU's exit
  // Under TCG the guest's TSC is the host's. Told its rate, the kernel skips
  // calibrating it against the PIT, which on a busy host failed and then hung
  // the boot for good (seen in 8 of 8 boots at load 10 on 2 cores).
  if (tsc_khz) c += fmt::format(" tsc_early_khz={}", *tsc_khz);
  c += param(gc::kRoot, gc::kDefaultRoot);
  c += param(gc::kRootFsType, root_fs_type);
  c += param(gc::kTmpMib, std::to_string(spec.tmp_size_mib));
  c += param(gc::kHostname, spec.hostname);
  if (spec.network) {
    c += param(gc::kIp, spec.network->address_cidr);
    c += param(gc::kGateway, spec.network->gateway);
    c += param(gc::kDns, spec.network->dns);
  }
  return c;
}

std::optional<uint64_t> host_tsc_khz(const std::string& cpuinfo_path) {
  std::ifstream in(cpuinfo_path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("cpu MHz", 0) != 0) continue;
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    try {
      double mhz = std::stod(line.substr(colon + 1));
      if (mhz > 0) return static_cast<uint64_t>(mhz * 1000);
    } catch (const std::exception&) {
    }
    return std::nullopt;
  }
  return std::nullopt;
}

std::string detect_root_fs_type(const std::filesystem::path& image) {
  std::ifstream in(image, std::ios::binary);
  unsigned char sb[1024 + 64] = {};
  in.read(reinterpret_cast<char*>(sb), sizeof(sb));
  uint32_t erofs_magic = sb[1024] | sb[1025] << 8 | sb[1026] << 16 | uint32_t(sb[1027]) << 24;
  if (erofs_magic == 0xE0F5E1E2u) return "erofs";
  return "ext4";
}

std::vector<std::string> qemu_args(const VmSpec& spec, const QemuLaunch& l) {
  std::vector<std::string> a{"qemu-system-x86_64", "-name", "bbox,debug-threads=off"};
  add_machine(a, spec, l.accel);
  add(a, {"-kernel", l.vmlinuz.string(), "-initrd", l.initramfs.string(), "-append",
          l.kernel_cmdline});
  add_devices(a, spec, l);
  return a;
}

Status qmp_quit(const std::filesystem::path& qmp_socket, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto fd = connect_unix(qmp_socket);
  if (!fd) return fd.error();
  auto greeting = read_line(fd->get(), deadline);
  if (!greeting) return greeting.error();
  Status s = write_all(fd->get(), "{\"execute\":\"qmp_capabilities\"}\n");
  if (!s) return s;
  auto reply = read_line(fd->get(), deadline);
  if (!reply) return reply.error();
  return write_all(fd->get(), "{\"execute\":\"quit\"}\n");
}

}  // namespace bbox::vm
