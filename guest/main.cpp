// bbox-init: the guest's PID 1.
//
// Boot order: early mounts in the initramfs, modules, the control port, the
// image root under an overlay, runtime mounts, workspace, hostname, network,
// the sandbox user, hardening (which forbids further module loading), then
// the control loop. Any failure is reported on the console and, when the port
// is open, to the host; then the VM powers off. PID 1 never exits: that would
// panic the kernel.
#include <fcntl.h>
#include <unistd.h>

#include <string>

#include "cmdline.h"
#include "control.h"
#include "log.h"
#include "mounts.h"
#include "network.h"
#include "system.h"
#include "users.h"

namespace {

using namespace bbox::guest;

std::string read_cmdline() {
  std::string out;
  int fd = ::open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  char buf[4096];
  ssize_t n = ::read(fd, buf, sizeof buf);
  if (n > 0) out.assign(buf, static_cast<size_t>(n));
  ::close(fd);
  return out;
}

// The kernel opens /dev/console as fds 0-2 when the initramfs has it; make
// sure they are open anyway, so no file we open later lands on them.
void ensure_std_fds() {
  for (int fd = 0; fd < 3; ++fd) {
    if (::fcntl(fd, F_GETFD) < 0) ::open("/dev/null", O_RDWR);
  }
}

}  // namespace

int main() {
  if (::getpid() != 1) {
    ::write(STDERR_FILENO, "bbox-init: must run as PID 1 in the bbox guest\n", 47);
    return 3;
  }
  mount_early();
  ensure_std_fds();
  std::string warnings;
  BootConfig cfg = parse_cmdline(read_cmdline(), &warnings);

  load_modules();
  int control = open_control_port();
  if (control < 0) fatal("no control port named %s", bbox::proto::kControlPortName);
  set_control_fd(control);
  if (!warnings.empty()) log("%s", warnings.c_str());

  switch_to_image_root(cfg);
  mount_workspace();
  set_hostname(cfg.hostname);
  configure_network(cfg);
  ensure_sandbox_user();
  harden();
  serve(control);
}
