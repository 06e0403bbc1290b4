// The QEMU command line for one microVM, and the QMP client that asks a
// running QEMU to quit. Nothing secret is ever part of the command line: it
// is visible to every user in `ps`.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "bbox/common/result.h"
#include "bbox/vm/vm.h"

namespace bbox::vm {

inline constexpr const char* kQemuPath = "/usr/bin/qemu-system-x86_64";

// Where the session's files live (all inside VmSpec::session_dir).
struct SessionFiles {
  std::filesystem::path console_log;      // guest serial console
  std::filesystem::path control_socket;   // bbox listens, QEMU connects
  std::filesystem::path virtiofs_socket;  // bbox listens for virtiofsd, QEMU connects
  std::filesystem::path qmp_socket;       // QEMU listens
  std::filesystem::path qemu_log;         // QEMU's own stderr
  std::filesystem::path virtiofsd_log;    // virtiofsd's stderr
  std::filesystem::path attach_socket;    // bbox listens for `bbox attach`

  static SessionFiles in(const std::filesystem::path& session_dir);
};

struct QemuLaunch {
  Accel accel = Accel::kTcg;  // kKvm or kTcg
  std::filesystem::path vmlinuz;
  std::filesystem::path initramfs;
  std::string kernel_cmdline;
  SessionFiles files;
};

// The guest kernel command line for a spec (guest_cmdline.h parameters).
// `tsc_khz`: the guest TSC's rate when known (TCG: the host's).
std::string guest_kernel_cmdline(const VmSpec& spec, const std::string& root_fs_type,
                                 const std::optional<uint64_t>& tsc_khz);

// The host CPU's clock in kHz from a cpuinfo file ("cpu MHz"), when shown.
std::optional<uint64_t> host_tsc_khz(const std::string& cpuinfo_path);

// "ext4" or "erofs", from the image's superblock; ext4 when unknown.
std::string detect_root_fs_type(const std::filesystem::path& image);

// Full argv (argv[0] included) for qemu-system-x86_64.
std::vector<std::string> qemu_args(const VmSpec& spec, const QemuLaunch& launch);

// Escapes a value for QEMU's option parser (a comma is written twice).
std::string qemu_escape(const std::string& value);

// Connects to QMP, negotiates capabilities and sends "quit". Gives up after
// `timeout`.
Status qmp_quit(const std::filesystem::path& qmp_socket, std::chrono::milliseconds timeout);

}  // namespace bbox::vm
