// Starting the VM's processes and waiting for the guest to say it is ready;
// stopping them again in order. Used by run_vm (run_vm.cpp).
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "bbox/common/result.h"
#include "bbox/common/unique_fd.h"
#include "bbox/vm/vm.h"
#include "vm/child_process.h"
#include "vm/control_channel.h"
#include "vm/guest_log.h"
#include "vm/qemu.h"
#include "vm/terminal.h"
#include "vm/virtiofs.h"

namespace bbox::vm {

// The processes of one VM. Destroying it stops them (QEMU first, then
// virtiofsd) if stop() was not called.
struct VmProcesses {
  SessionFiles files;
  UniqueFd control_listener;
  std::optional<VirtiofsServer> virtiofs;
  ChildProcess qemu;
  std::unique_ptr<ControlChannel> control;
  bool ready = false;  // the guest said Hello: it can be asked to power off

  VmProcesses() = default;
  VmProcesses(VmProcesses&&) = default;
  ~VmProcesses();

  // Asks the guest to power off, then QMP quit, then SIGKILL; then stops
  // virtiofsd. Bounded: at most a few seconds.
  void stop();
};

// Starts virtiofsd and QEMU. The control socket listens before QEMU starts,
// so QEMU's connection cannot race it.
Result<VmProcesses> start_vm_processes(const VmSpec& spec, const QemuLaunch& launch);

// Waits for the guest's Hello. A signal (SIGINT, SIGTERM, SIGHUP) ends the
// wait early: `interrupted` is set and the result is ok without a channel.
Status wait_until_ready(VmProcesses& vm, const VmSpec& spec, SignalPipe& signals, GuestLog& log,
                        int* interrupted);

// The last `lines` lines of a text file, each made printable and indented,
// for error messages.
std::string file_tail(const std::filesystem::path& file, size_t lines);

// True when the end of the guest's console shows its kernel halted or
// powered off (QEMU may keep running after a halt).
bool console_shows_halt(const std::filesystem::path& console_log);

// True when the guest's console shows its OOM killer at work.
bool console_shows_oom(const std::filesystem::path& console_log);

}  // namespace bbox::vm
