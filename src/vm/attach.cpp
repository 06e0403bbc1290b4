// attach_vm: the client side of `bbox attach`. It speaks the control
// protocol to the session's bbox (attach_relay.h), which passes it on to the
// guest, so the command bridge is the same as for the session's own command.
#include <signal.h>

#include "bbox/common/message.h"
#include "bbox/vm/vm.h"
#include "vm/guest_command.h"
#include "vm/qemu.h"
#include "vm/unix_socket.h"

namespace bbox::vm {

Result<int> attach_vm(const std::filesystem::path& session_dir, const AttachSpec& spec) {
  if (spec.argv.empty()) return Error{"attach: no command to run"};
  auto fd = connect_unix(SessionFiles::in(session_dir).attach_socket);
  if (!fd) {
    return Error{"attach to " + ui::quoted(session_dir.string()) +
                 ": no VM is running for this session (" + fd.error().message + ")"};
  }
  ControlChannel conn(std::move(*fd));
  auto signals = SignalPipe::install({SIGINT, SIGTERM, SIGHUP, SIGWINCH});
  if (!signals) return signals.error();
  GuestLog no_log;

  proto::ExecRequest req;
  req.argv = spec.argv;
  req.env = spec.env;
  req.cwd = spec.workdir;
  req.tty = spec.tty;
  CommandOutcome o = run_with_user_terminal(req, conn, nullptr, *signals, no_log, {});
  if (o.guest_gone) {
    return Error{"attach: the session ended before " + ui::quoted(spec.argv[0]) + " finished"};
  }
  if (!o.message.empty()) {
    ui::error("run {} in the guest: {}", ui::quoted(spec.argv[0]), ui::printable(o.message));
  }
  return o.exit_code;
}

}  // namespace bbox::vm
