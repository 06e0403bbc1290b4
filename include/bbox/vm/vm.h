// Running one microVM: virtiofsd for the workspace, QEMU -M microvm, the
// control channel, and the user's terminal bridged to the guest command.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "bbox/common/result.h"

namespace bbox::vm {

enum class Accel { kAuto, kKvm, kTcg };

struct AccelChoice {
  Accel accel = Accel::kTcg;  // never kAuto
  std::string reason;         // e.g. "/dev/kvm opens but the CPU shows no vmx or svm"
};

// Chooses KVM when the CPU shows vmx or svm and /dev/kvm opens read-write,
// TCG otherwise. A request for kvm that cannot be met is an Error.
Result<AccelChoice> choose_accel(Accel requested);

// Guest network, when the session has one: QEMU connects its virtio-net
// device to `socket` with -netdev stream; bbox-init configures eth0 from the
// kernel command line (bbox.ip=A.B.C.D/N bbox.gw=A.B.C.D bbox.dns=A.B.C.D).
struct GuestNetwork {
  std::filesystem::path socket;
  std::string address_cidr;  // "10.0.2.15/24"
  std::string gateway;       // "10.0.2.2"
  std::string dns;           // "10.0.2.3"
};

struct VmSpec {
  std::filesystem::path session_dir;  // sockets, console.log, pid files go here
  std::filesystem::path shared_dir;   // the snapshot, mounted at /workspace
  std::filesystem::path root_image;   // ext4 (or erofs) image, attached read-only
  std::optional<std::filesystem::path> kernel;  // --kernel override
  int cpus = 2;
  uint64_t memory_mib = 4096;
  uint64_t tmp_size_mib = 2048;
  Accel accel = Accel::kAuto;
  std::string hostname = "bbox";
  std::optional<GuestNetwork> network;

  // The command, run as uid/gid 1000 (sandbox) in `workdir`.
  std::vector<std::string> argv;
  std::vector<std::string> env;  // NAME=value; sent over the control channel only
  std::string workdir = "/workspace";
  bool tty = true;               // PTY in the guest, raw mode on the host terminal
  int ready_timeout_seconds = 60;
};

struct VmResult {
  int exit_code = 0;  // the command's status, 128+N for a signal
  bool guest_crashed = false;  // QEMU died or the guest stopped answering
  std::string message;         // when guest_crashed or the command could not start
};

// Boots the VM, runs the command with the user's terminal attached, and stops
// QEMU and virtiofsd before returning, on every path. Children die with bbox
// (parent-death signal) even if bbox is killed with SIGKILL.
Result<VmResult> run_vm(const VmSpec& spec);

}  // namespace bbox::vm
