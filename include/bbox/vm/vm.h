// Running one microVM: virtiofsd for the workspace, QEMU -M microvm, the
// control channel, and the user's terminal bridged to the guest command.
#pragma once

#include <sys/types.h>

#include <chrono>
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

// One file or directory moving between host and guest. Fetched from the
// guest, it is untrusted: `path` has been checked to be relative without "."
// or ".." components ("" is the requested root itself), and symlinks are not
// followed (data is the target). Sent to the guest, see files_before_exec.
struct GuestFile {
  std::string path;
  uint32_t mode = 0;  // st_mode with the file type bits
  std::string data;
};

struct VmSpec {
  std::filesystem::path session_dir;            // sockets, console.log, pid files go here
  std::filesystem::path shared_dir;             // the snapshot, mounted at /workspace
  std::filesystem::path root_image;             // ext4 (or erofs) image, attached read-only
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
  bool tty = true;  // PTY in the guest, raw mode on the host terminal
  int ready_timeout_seconds = 60;

  // Absolute guest paths (files or directory trees) to bring back after the
  // command exits and before the VM stops, e.g. the agent's credentials.
  std::vector<std::string> fetch_after_exit;

  // Files bbox-init writes, in order, before the command starts: imported
  // settings, restored credentials, git configuration. GuestFile::path is
  // absolute and under /home/sandbox (not that directory itself), without
  // "", "." or ".." components; missing parents are made (0700, owned by
  // sandbox); a symlink anywhere on the way, or in the file's place, is
  // refused. Regular files and directories only; mode carries the type bits
  // and permissions (setuid and setgid are dropped); the owner is sandbox.
  // A regular file replaces an existing one by rename (never written through
  // a hard link); a directory that exists gets the mode and owner. run_vm
  // waits until the guest confirmed the batch; a file that did not land is a
  // ui::warning naming it, and the command runs anyway.
  std::vector<GuestFile> files_before_exec;

  // The host's SSH agent (usually $SSH_AUTH_SOCK), or empty for none. When set,
  // bbox-init listens on kGuestSshAgentSocket (directory 0700, socket 0600,
  // both owned by sandbox) and relays each connection over the control
  // channel to this socket; keys never enter the guest. Every command in the
  // VM, attached ones (attach_vm) included, gets SSH_AUTH_SOCK set to the
  // guest socket, replacing any value in `env`. An agent that cannot be
  // reached closes the guest's connection, with one ui::warning per run.
  // Bounded against the guest: 16 connections at once, 1 MiB in flight to
  // the agent per connection (vm/agent_forwarder.h).
  std::filesystem::path ssh_agent_socket;
};

inline constexpr const char* kGuestSshAgentSocket = "/run/bbox/ssh-agent.sock";

struct FetchedTree {
  std::string root;                // as requested
  std::vector<GuestFile> entries;  // empty when error is set
  std::string error;               // empty when the whole tree came back
};

// How long each phase of run_vm took, for the --timings table.
struct VmTimings {
  std::chrono::milliseconds kernel_initramfs{0};  // ensure_kernel + ensure_initramfs
  std::chrono::milliseconds start_to_ready{0};    // virtiofsd + QEMU start to the guest's Hello
  std::chrono::milliseconds session{0};           // Exec to the command's exit
  std::chrono::milliseconds stop{0};              // shutdown request to QEMU and virtiofsd gone
};

struct VmResult {
  int exit_code = 0;           // the command's status, 128+N for a signal
  bool guest_crashed = false;  // QEMU died or the guest stopped answering
  std::string message;         // when guest_crashed or the command could not start
  bool out_of_memory = false;  // console.log shows the guest's OOM killer at work
  int interrupted_by = 0;      // SIGINT/SIGTERM/SIGHUP to bbox that ended the run, or 0
  AccelChoice accel;           // what the VM ran with
  VmTimings timings;
  std::vector<FetchedTree> fetched;  // one per VmSpec::fetch_after_exit, in order
};

// Boots the VM, runs the command with the user's terminal attached, and stops
// QEMU and virtiofsd before returning, on every path. Children die with bbox
// (parent-death signal) even if bbox is killed with SIGKILL.
//
// Errors before the command started (missing QEMU, kernel, a guest that never
// became ready: the message then quotes the end of console.log) come back as
// Error. Once the command ran, the outcome is a VmResult; run_vm has already
// told the user about a crash, an out-of-memory kill or a command that could
// not start (VmResult::message repeats it for logs).
//
// While it runs, run_vm owns SIGINT, SIGTERM, SIGHUP and SIGWINCH (and
// ignores SIGPIPE); the previous handlers come back before it returns.
// Call it from the thread that lives longest (see vm/child_process.h).
Result<VmResult> run_vm(const VmSpec& spec);

// A second command in a session's running VM (`bbox attach`).
struct AttachSpec {
  std::vector<std::string> argv;  // run as uid/gid 1000 (sandbox)
  std::vector<std::string> env;   // NAME=value; over the control channel only
  std::string workdir = "/workspace";
  bool tty = true;
};

// Runs `spec` in the VM that run_vm is running for `session_dir`, through the
// attach socket that run_vm serves while its command runs, with the user's
// terminal bridged as run_vm does. Returns the command's exit status (128+N
// for a signal). An Error when no VM runs there or the session ended before
// the command did.
Result<int> attach_vm(const std::filesystem::path& session_dir, const AttachSpec& spec);

// QEMU and virtiofsd processes that belong to a session: their command line
// names a file in `session_dir`, or serves `shared_dir`. Empty once run_vm has
// returned, on every path; the session code can check this before the diff.
std::vector<pid_t> find_vm_processes(const std::filesystem::path& session_dir,
                                     const std::filesystem::path& shared_dir);

}  // namespace bbox::vm
