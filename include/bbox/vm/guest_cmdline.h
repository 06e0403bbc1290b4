// The contract between the host runner and bbox-init: the kernel command line
// bbox passes to the guest, the virtiofs tag of the workspace, and the name of
// the control port. Both sides use these constants; nothing else defines them.
//
// The host builds, for example:
//   console=ttyS0 quiet panic=-1 bbox.root=/dev/vda bbox.rootfstype=ext4
//   bbox.tmp=2048 bbox.hostname=bbox
//   [bbox.ip=10.0.2.15/24 bbox.gw=10.0.2.2 bbox.dns=10.0.2.3]
// Values never contain spaces and carry nothing secret: the command line is
// readable in the guest (/proc/cmdline) and on the host (QEMU's argv).
//
// bbox-init mounts the virtio-fs device tagged kWorkspaceTag at
// kWorkspaceMount when one exists, and talks to the host on the virtio-serial
// port named kControlPortName (include/bbox/proto/protocol.h).
#pragma once

#include "bbox/proto/protocol.h"

namespace bbox::guest_cmdline {

// Block device holding the root image (read-only; an overlay goes on top).
inline constexpr const char* kRoot = "bbox.root";  // e.g. /dev/vda
// File system type of the root image: ext4 (built in) or erofs (module).
inline constexpr const char* kRootFsType = "bbox.rootfstype";
// Size of the guest's /tmp tmpfs in MiB.
inline constexpr const char* kTmpMib = "bbox.tmp";
// Guest hostname.
inline constexpr const char* kHostname = "bbox.hostname";
// eth0 address with prefix length, "10.0.2.15/24". Absent: no network.
inline constexpr const char* kIp = "bbox.ip";
// Default gateway, "10.0.2.2".
inline constexpr const char* kGateway = "bbox.gw";
// Resolver written to /etc/resolv.conf, "10.0.2.3".
inline constexpr const char* kDns = "bbox.dns";

inline constexpr const char* kDefaultRoot = "/dev/vda";
inline constexpr const char* kDefaultRootFsType = "ext4";

// The base of every command line; the host appends the bbox.* parameters.
// panic=-1 makes a kernel panic reboot at once, which under -no-reboot ends
// QEMU instead of leaving it hanging.
inline constexpr const char* kBaseCmdline = "console=ttyS0 quiet panic=-1";

// Under TCG, the host must also pass tsc_early_khz=<host TSC kHz> (from the
// host's /proc/cpuinfo "cpu MHz" x 1000): TCG's guest TSC runs at the host's
// rate, and on loaded hosts the guest's own calibration against the PIT fails
// ("tsc: Unable to calibrate against PIT ... Marking TSC unstable"); the
// 6.1 cloud kernel under microvm with ACPI then never gets a timer tick and
// hangs before init. Seen here in most boots under load (December 2026).
inline constexpr const char* kTscKhz = "tsc_early_khz";

// The virtio-fs tag of the workspace share and where it is mounted.
inline constexpr const char* kWorkspaceTag = "workspace";
inline constexpr const char* kWorkspaceMount = "/workspace";

// The virtio-serial port carrying the control protocol.
inline constexpr const char* kControlPortName = proto::kControlPortName;

// The unprivileged user commands run as by default.
inline constexpr unsigned kSandboxUid = 1000;
inline constexpr unsigned kSandboxGid = 1000;
inline constexpr const char* kSandboxUser = "sandbox";
inline constexpr const char* kSandboxHome = "/home/sandbox";

}  // namespace bbox::guest_cmdline
