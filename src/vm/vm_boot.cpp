#include "vm/vm_boot.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <deque>
#include <fstream>

#include <fmt/format.h>

#include "bbox/common/message.h"
#include "vm/unix_socket.h"

namespace bbox::vm {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr auto kShutdownWait = 5s;  // bbox-init syncs and powers off
constexpr auto kQuitWait = 2s;      // after QMP quit
constexpr size_t kTailLines = 15;

Result<UniqueFd> open_log(const std::filesystem::path& path) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd) return errno_error("create '" + path.string() + "'", errno);
  return fd;
}

Status start_virtiofs(VmProcesses& vm, const VmSpec& spec) {
  auto ids = plan_id_maps_for_current_user();
  if (!ids) return ids.error();
  auto log = open_log(vm.files.virtiofsd_log);
  if (!log) return log.error();
  VirtiofsOptions o{std::filesystem::absolute(spec.shared_dir), vm.files.virtiofs_socket,
                    log->get(), *ids};
  auto server = VirtiofsServer::start(o);
  if (!server) return server.error();
  vm.virtiofs.emplace(std::move(*server));
  return ok_status();
}

Status start_qemu(VmProcesses& vm, const VmSpec& spec, const QemuLaunch& launch) {
  if (::access(kQemuPath, X_OK) != 0) {
    return Error{
        fmt::format("start QEMU: '{}' not found (install the Debian package "
                    "'qemu-system-x86')",
                    kQemuPath)};
  }
  auto log = open_log(vm.files.qemu_log);
  if (!log) return log.error();
  SpawnOptions so;
  so.program = kQemuPath;
  so.argv = qemu_args(spec, launch);
  // A minimal environment: the user's may hold API keys QEMU has no use for.
  so.env = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"};
  so.stdout_fd = log->get();
  so.stderr_fd = log->get();
  auto child = ChildProcess::spawn(so);
  if (!child) return child.error();
  vm.qemu = std::move(*child);
  return ok_status();
}

// Why the guest is not ready, with the end of the console and QEMU's log.
Error not_ready(const VmProcesses& vm, const std::string& why) {
  std::string msg = fmt::format("boot the VM: {}", why);
  std::string console = file_tail(vm.files.console_log, kTailLines);
  std::string name = ui::quoted(vm.files.console_log.string());
  msg +=
      console.empty() ? "; " + name + " is empty" : "; the last lines of " + name + ":\n" + console;
  std::string qemu = file_tail(vm.files.qemu_log, 5);
  if (!qemu.empty()) msg += "\nQEMU said:\n" + qemu;
  return Error{msg};
}

// One pass over what the guest sent while booting. True once Hello came.
Result<bool> read_boot_frames(VmProcesses& vm, GuestLog& log) {
  bool alive = vm.control->read_available();
  while (auto f = vm.control->next()) {
    if (f->type == proto::Type::kLog) log.write(f->payload);
    if (f->type != proto::Type::kHello) continue;
    proto::Hello hello;
    if (!proto::decode(f->payload, &hello)) return not_ready(vm, "malformed ready message");
    if (hello.version != proto::kVersion) {
      return not_ready(vm, fmt::format("the guest speaks protocol {}, bbox speaks {}",
                                       hello.version, proto::kVersion));
    }
    return true;
  }
  if (!alive || vm.control->broken()) {
    return not_ready(vm, "the guest closed the control channel or broke its protocol");
  }
  return false;
}

// Accepts QEMU's connection to the control socket once it comes.
Status accept_control(VmProcesses& vm) {
  auto fd = accept_with_timeout(vm.control_listener.get(), 0ms);
  if (!fd) return fd.error();
  if (fd->valid()) {
    vm.control = std::make_unique<ControlChannel>(std::move(*fd));
    vm.control_listener.reset();
  }
  return ok_status();
}

// Waits for QEMU to exit after the guest was asked to stop. A guest kernel
// that halts instead of rebooting leaves QEMU running: its last console line
// says so, and then there is nothing left to wait for.
bool wait_for_guest_stop(VmProcesses& vm) {
  auto deadline = Clock::now() + kShutdownWait;
  while (Clock::now() < deadline) {
    if (vm.qemu.wait_for(100ms)) return true;
    if (console_shows_halt(vm.files.console_log)) return false;
  }
  return false;
}

}  // namespace

VmProcesses::~VmProcesses() { stop(); }

void VmProcesses::stop() {
  if (qemu.valid() && !qemu.poll_exit()) {
    // A guest that never said Hello has no one to answer a Shutdown.
    bool asked = control && ready;
    if (asked) {
      control->send(proto::Type::kShutdown, 0, {});
      control->drain(500);
    }
    if (!asked || !wait_for_guest_stop(*this)) {
      if (qmp_quit(files.qmp_socket, 1s).ok()) qemu.wait_for(kQuitWait);
    }
    qemu.kill_and_reap();
  }
  control.reset();
  if (virtiofs) {
    virtiofs->stop();
    virtiofs.reset();
  }
}

Result<VmProcesses> start_vm_processes(const VmSpec& spec, const QemuLaunch& launch) {
  VmProcesses vm;
  vm.files = launch.files;
  // A console.log left by an earlier VM in this session directory ends with
  // its power-off, which would read as this guest halting until QEMU
  // truncates the file.
  std::error_code ec;
  std::filesystem::remove(vm.files.console_log, ec);
  auto listener = listen_unix(vm.files.control_socket, 0600);
  if (!listener) return listener.error().wrap("open the control channel");
  vm.control_listener = std::move(*listener);

  Status s = start_virtiofs(vm, spec);
  if (!s) return s.error();
  s = start_qemu(vm, spec, launch);
  if (!s) return s.error();
  return vm;
}

Status wait_until_ready(VmProcesses& vm, const VmSpec& spec, SignalPipe& signals, GuestLog& log,
                        int* interrupted) {
  auto deadline = Clock::now() + std::chrono::seconds(spec.ready_timeout_seconds);
  while (true) {
    int fd = vm.control ? vm.control->fd() : vm.control_listener.get();
    pollfd fds[2] = {{signals.fd(), POLLIN, 0}, {fd, POLLIN, 0}};
    ::poll(fds, 2, 200);
    for (int sig : signals.drain()) {
      if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) *interrupted = sig;
    }
    if (*interrupted != 0) return ok_status();

    if (!vm.control) {
      Status s = accept_control(vm);
      if (!s) return s;
    } else if (fds[1].revents != 0) {
      auto hello = read_boot_frames(vm, log);
      if (!hello) return hello.error();
      if (*hello) {
        vm.ready = true;
        return ok_status();
      }
    }
    if (vm.qemu.poll_exit()) {
      return not_ready(vm,
                       "QEMU " + vm.qemu.exit_status()->describe() + " before the guest was ready");
    }
    if (console_shows_halt(vm.files.console_log)) {
      return not_ready(vm, "the guest stopped before it was ready");
    }
    if (Clock::now() >= deadline) {
      return not_ready(
          vm, fmt::format("the guest was not ready within {} s", spec.ready_timeout_seconds));
    }
  }
}

std::string file_tail(const std::filesystem::path& file, size_t lines) {
  std::ifstream in(file, std::ios::binary);
  std::deque<std::string> last;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    last.push_back(std::move(line));
    if (last.size() > lines) last.pop_front();
  }
  std::string out;
  for (const auto& l : last) out += (out.empty() ? "  | " : "\n  | ") + ui::printable(l);
  return out;
}

bool console_shows_halt(const std::filesystem::path& console_log) {
  std::ifstream in(console_log, std::ios::binary | std::ios::ate);
  std::streamoff size = in.tellg();
  if (size <= 0) return false;
  std::streamoff from = size > 4096 ? size - 4096 : 0;
  in.seekg(from);
  std::string tail(static_cast<size_t>(size - from), '\0');
  in.read(tail.data(), static_cast<std::streamsize>(tail.size()));
  return tail.find("reboot: System halted") != std::string::npos ||
         tail.find("reboot: Power down") != std::string::npos;
}

bool console_shows_oom(const std::filesystem::path& console_log) {
  std::ifstream in(console_log, std::ios::binary);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find("Out of memory: Killed process") != std::string::npos) return true;
  }
  return false;
}

}  // namespace bbox::vm
