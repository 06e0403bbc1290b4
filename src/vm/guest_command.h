// Running one command in the guest over the control channel and bridging it
// to the user's stdin, stdout and stderr until it exits.
#pragma once

#include <chrono>
#include <string>

#include "bbox/common/result.h"
#include "bbox/proto/protocol.h"
#include "vm/agent_forwarder.h"
#include "vm/attach_relay.h"
#include "vm/child_process.h"
#include "vm/control_channel.h"
#include "vm/guest_log.h"
#include "vm/terminal.h"

namespace bbox::vm {

// The host side of the bridge. `tty_fd` is the terminal whose size the guest
// PTY follows (-1 without one).
struct BridgeIo {
  int in_fd = 0;
  int out_fd = 1;
  int err_fd = 2;
  int tty_fd = -1;
};

struct CommandOutcome {
  int exit_code = 0;        // the command's status, 128+N for signal N
  bool guest_gone = false;  // the guest or QEMU went away before an exit status
  int stopped_by = 0;       // the signal to bbox (forwarded or not) that ended the session
  std::string message;      // the guest's reason when the command could not start
};

// What the bridge serves beside the command, each optional (null): attached
// commands (`bbox attach`) and the guest's SSH agent streams.
struct BridgeServices {
  AttachRelay* attach = nullptr;
  AgentForwarder* agent = nullptr;
};

// How long a forwarded SIGINT/SIGTERM/SIGHUP gives the command to exit before
// bbox stops the VM anyway.
inline constexpr std::chrono::milliseconds kSignalGrace{3000};

// Sends `request` on channel 1 and bridges until the command exits, the guest
// goes away, or a signal to bbox ends the session (the signal is forwarded to
// the command first; bbox waits kSignalGrace for it to exit). `qemu` (when not
// null) is watched for an early exit; `services` are served meanwhile. An
// attach client calls this too, on its connection to the relay, without them.
CommandOutcome run_guest_command(const proto::ExecRequest& request, ControlChannel& control,
                                 ChildProcess* qemu, SignalPipe& signals, GuestLog& log,
                                 const BridgeIo& io, const BridgeServices& services = {});

// run_guest_command on the user's terminal: stdin, stdout and stderr, the
// terminal's size sent with the request, and raw mode while the command runs
// when request.tty is set and stdin is a terminal (restored on every return;
// crash signals restore it too, see terminal.h).
CommandOutcome run_with_user_terminal(proto::ExecRequest request, ControlChannel& control,
                                      ChildProcess* qemu, SignalPipe& signals, GuestLog& log,
                                      const BridgeServices& services);

}  // namespace bbox::vm
