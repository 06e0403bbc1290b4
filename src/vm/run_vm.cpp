// run_vm: kernel and initramfs, virtiofsd and QEMU, the guest's ready
// message, the command bridged to the user's terminal, and the stop in order.
#include <signal.h>
#include <unistd.h>

#include <memory>

#include <cerrno>

#include <fmt/format.h>

#include "bbox/common/exit_codes.h"
#include "bbox/common/message.h"
#include "bbox/vm/initramfs.h"
#include "bbox/vm/kernel.h"
#include "bbox/vm/vm.h"
#include "vm/agent_forwarder.h"
#include "vm/guest_command.h"
#include "vm/guest_file_put.h"
#include "vm/guest_files.h"
#include "vm/vm_boot.h"

namespace bbox::vm {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::chrono::milliseconds since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

Status check_spec(const VmSpec& spec) {
  std::error_code ec;
  if (!fs::is_directory(spec.session_dir, ec)) {
    return Error{"start the VM: session directory " + ui::quoted(spec.session_dir.string()) +
                 " does not exist"};
  }
  if (!fs::is_directory(spec.shared_dir, ec)) {
    return Error{"start the VM: shared directory " + ui::quoted(spec.shared_dir.string()) +
                 " does not exist"};
  }
  if (!fs::is_regular_file(spec.root_image, ec)) {
    return Error{"start the VM: root image " + ui::quoted(spec.root_image.string()) +
                 " does not exist"};
  }
  if (spec.argv.empty()) return Error{"start the VM: no command to run"};
  return ok_status();
}

Result<AccelChoice> pick_accel(const VmSpec& spec) {
  auto accel = choose_accel(spec.accel);
  if (!accel) return accel;
  if (spec.accel == Accel::kAuto && accel->accel == Accel::kTcg) {
    ui::note("using TCG (slower) instead of KVM: {}", accel->reason);
  }
  return accel;
}

Result<QemuLaunch> prepare_launch(const VmSpec& spec, Accel accel) {
  auto kernel = ensure_kernel(spec.kernel);
  if (!kernel) return kernel.error();
  auto init = find_bbox_init();
  if (!init) return init.error();
  auto initramfs = ensure_initramfs(*kernel, *init);
  if (!initramfs) return initramfs.error();

  QemuLaunch l;
  l.accel = accel;
  l.vmlinuz = kernel->vmlinuz;
  l.initramfs = *initramfs;
  std::optional<uint64_t> tsc_khz;
  if (accel == Accel::kTcg) tsc_khz = host_tsc_khz("/proc/cpuinfo");
  l.kernel_cmdline = guest_kernel_cmdline(spec, detect_root_fs_type(spec.root_image), tsc_khz);
  l.files = SessionFiles::in(fs::absolute(spec.session_dir));
  return l;
}

proto::ExecRequest exec_request(const VmSpec& spec) {
  proto::ExecRequest r;
  r.argv = spec.argv;
  r.env = spec.env;
  r.cwd = spec.workdir;
  r.tty = spec.tty;
  return r;
}

// Serves `bbox attach` for this session while the command runs; the session
// works without it.
std::unique_ptr<AttachRelay> open_attach(VmProcesses& vm) {
  auto relay = AttachRelay::listen(vm.files.attach_socket, *vm.control);
  if (relay) return std::move(*relay);
  ui::warning("{}; 'bbox attach' will not reach this session", relay.error().message);
  return nullptr;
}

// Host channels besides the command's (1): the files put before it, then
// one per fetched tree.
constexpr uint32_t kPutChannel = 2;
constexpr uint32_t kFirstFetchChannel = 3;

// Writes VmSpec::files_before_exec in the guest. A file that did not land is
// a warning naming it; the command runs anyway.
void put_files(const VmSpec& spec, VmProcesses& vm, GuestLog& log) {
  if (spec.files_before_exec.empty()) return;
  auto deadline = Clock::now() + std::chrono::seconds(60);
  PutOutcome put =
      put_guest_files(*vm.control, vm.qemu, kPutChannel, spec.files_before_exec, deadline, log);
  for (const auto& f : put.failed) {
    ui::warning("write {} in the guest: {}", ui::quoted(f.path), ui::printable(f.error));
  }
  if (!put.error.empty()) ui::warning("write files in the guest: {}", put.error);
}

// Asks bbox-init to listen on the guest's agent socket before the command
// starts (frames are handled in order), and relays its streams to the host's.
std::unique_ptr<AgentForwarder> forward_agent(const VmSpec& spec, VmProcesses& vm) {
  if (spec.ssh_agent_socket.empty()) return nullptr;
  vm.control->send(proto::Type::kAgentListen, 0, {});
  return std::make_unique<AgentForwarder>(spec.ssh_agent_socket, *vm.control);
}

// Brings back the trees the session asked for while the guest still runs.
void fetch_files(const VmSpec& spec, VmProcesses& vm, VmResult& result) {
  size_t budget = kMaxFetchBytes;
  auto deadline = Clock::now() + std::chrono::seconds(30);
  uint32_t channel = kFirstFetchChannel;
  for (const auto& root : spec.fetch_after_exit) {
    result.fetched.push_back(
        fetch_guest_tree(*vm.control, vm.qemu, channel++, root, deadline, &budget));
  }
}

// What the user is told after the command ended, and what VmResult records.
void report_outcome(const VmSpec& spec, const VmProcesses& vm, const CommandOutcome& o,
                    VmResult& result) {
  result.exit_code = o.exit_code;
  result.message = o.message;
  result.interrupted_by = o.stopped_by;
  result.out_of_memory = console_shows_oom(vm.files.console_log);
  if (o.guest_gone) {
    result.guest_crashed = true;
    result.exit_code = exit_code::kError;
    ui::error("run {} in the guest: the VM stopped before the command finished ({}); see {}",
              ui::quoted(spec.argv[0]), ui::printable(o.message),
              ui::quoted(vm.files.console_log.string()));
  } else if (!o.message.empty()) {
    ui::error("run {} in the guest: {}", ui::quoted(spec.argv[0]), ui::printable(o.message));
  }
  // The guest names an OOM kill of the command itself; the console also
  // shows kills of other processes and of a guest that died of it.
  bool guest_said_so = o.message.find("out of memory") != std::string::npos;
  if (result.out_of_memory && !guest_said_so) {
    ui::error(
        "the guest ran out of memory and killed a process; try a larger --memory "
        "(now {} MiB)",
        spec.memory_mib);
  }
}

}  // namespace

Result<VmResult> run_vm(const VmSpec& spec) {
  Status s = check_spec(spec);
  if (!s) return s.error();
  VmResult result;
  auto accel = pick_accel(spec);
  if (!accel) return accel.error();
  result.accel = *accel;

  auto start = Clock::now();
  auto launch = prepare_launch(spec, accel->accel);
  if (!launch) return launch.error();
  result.timings.kernel_initramfs = since(start);

  auto signals = SignalPipe::install({SIGINT, SIGTERM, SIGHUP, SIGWINCH});
  if (!signals) return signals.error();
  GuestLog log(launch->files.console_log.parent_path() / "guest.log");

  start = Clock::now();
  auto vm = start_vm_processes(spec, *launch);
  if (!vm) return vm.error();
  int interrupted = 0;
  s = wait_until_ready(*vm, spec, *signals, log, &interrupted);
  if (!s) return s.error();
  result.timings.start_to_ready = since(start);
  if (interrupted != 0) {
    ui::note("stopping the VM: interrupted by signal {} while it started", interrupted);
    result.interrupted_by = interrupted;
    result.exit_code = exit_code::kSignalBase + interrupted;
    vm->stop();
    return result;
  }

  start = Clock::now();
  put_files(spec, *vm, log);
  auto agent = forward_agent(spec, *vm);
  auto relay = open_attach(*vm);
  CommandOutcome outcome = run_with_user_terminal(exec_request(spec), *vm->control, &vm->qemu,
                                                  *signals, log, {relay.get(), agent.get()});
  relay.reset();
  agent.reset();
  if (!outcome.guest_gone) fetch_files(spec, *vm, result);
  result.timings.session = since(start);

  start = Clock::now();
  vm->stop();
  result.timings.stop = since(start);
  report_outcome(spec, *vm, outcome, result);
  return result;
}

}  // namespace bbox::vm
