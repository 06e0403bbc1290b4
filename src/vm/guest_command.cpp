#include "vm/guest_command.h"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <vector>

#include "vm/unix_socket.h"

namespace bbox::vm {
namespace {

using Clock = std::chrono::steady_clock;
using proto::Type;

constexpr uint32_t kChannel = 1;
constexpr size_t kStdinChunk = 32 * 1024;
// Stop reading the user's stdin while this much is queued for the guest.
constexpr size_t kMaxQueued = 1 << 20;

class Bridge {
 public:
  Bridge(ControlChannel& control, ChildProcess* qemu, SignalPipe& signals, GuestLog& log,
         const BridgeIo& io, const BridgeServices& services)
      : control_(control),
        qemu_(qemu),
        signals_(signals),
        log_(log),
        io_(io),
        relay_(services.attach),
        agent_(services.agent) {}

  CommandOutcome run(const proto::ExecRequest& request) {
    control_.send(Type::kExec, kChannel, proto::encode(request));
    stdin_open_ = io_.in_fd >= 0;
    while (!done_) step();
    return outcome_;
  }

 private:
  void step() {
    std::vector<pollfd> fds = {
        {signals_.fd(), POLLIN, 0},
        {control_.fd(), static_cast<short>(POLLIN | (control_.wants_write() ? POLLOUT : 0)), 0},
        {-1, POLLIN, 0}};
    if (stdin_open_ && control_.queued() < kMaxQueued) fds[2].fd = io_.in_fd;
    // The agent's descriptors first: the relay takes everything after its own start.
    if (agent_ != nullptr) agent_->add_poll_fds(fds);
    size_t relay_first = fds.size();
    if (relay_ != nullptr) relay_->add_poll_fds(fds);
    int r = ::poll(fds.data(), fds.size(), poll_timeout_ms());
    if (r < 0 && errno != EINTR) return finish_gone("poll failed");

    if (fds[0].revents != 0) handle_signals();
    if (fds[1].revents != 0) handle_control();
    if (!done_ && fds[2].fd >= 0 && fds[2].revents != 0) handle_stdin();
    if (!done_ && agent_ != nullptr) agent_->handle(fds, 3);
    if (!done_ && relay_ != nullptr) relay_->handle(fds, relay_first);
    if (!done_) check_deadlines();
  }

  int poll_timeout_ms() const { return 200; }

  void handle_signals() {
    for (int sig : signals_.drain()) {
      if (sig == SIGWINCH) {
        send_resize();
      } else if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) {
        handle_stop_signal(sig);
      }
    }
  }

  void send_resize() {
    if (io_.tty_fd < 0) return;
    if (auto size = terminal_size(io_.tty_fd)) {
      control_.send(Type::kResize, kChannel, proto::encode(*size));
    }
  }

  // The first such signal goes to the command and starts the grace period; a
  // second one ends the session at once.
  void handle_stop_signal(int sig) {
    if (stop_signal_ != 0) {
      finish_stopped();
      return;
    }
    stop_signal_ = sig;
    stop_deadline_ = Clock::now() + kSignalGrace;
    control_.send(Type::kSignal, kChannel, proto::encode_u32(static_cast<uint32_t>(sig)));
  }

  void handle_control() {
    bool alive = control_.read_available() && control_.flush();
    while (!done_) {
      std::optional<proto::Frame> f = control_.next();
      if (!f) break;
      handle_frame(*f);
    }
    if ((!alive || control_.broken()) && !done_) finish_gone("the control channel closed");
  }

  void handle_frame(const proto::Frame& f) {
    if (agent_ != nullptr && agent_->route_from_guest(f)) return;
    if (relay_ != nullptr && relay_->route_from_guest(f)) return;
    switch (f.type) {
      case Type::kStdout:
        write_out(io_.out_fd, f.payload, stdout_broken_);
        break;
      case Type::kStderr:
        write_out(io_.err_fd, f.payload, stderr_broken_);
        break;
      case Type::kLog:
        log_.write(f.payload);
        break;
      case Type::kExit:
        if (f.channel == kChannel) finish_exit(f.payload);
        break;
      default:
        break;  // frames for other channels or requests are not ours
    }
  }

  // A reader that went away (`bbox ... | head -1`) only loses the rest.
  void write_out(int fd, const std::string& data, bool& broken) {
    if (broken || fd < 0) return;
    if (!write_all(fd, data)) broken = true;
  }

  void handle_stdin() {
    char buf[kStdinChunk];
    ssize_t n = ::read(io_.in_fd, buf, sizeof(buf));
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (n > 0) {
      control_.send(Type::kStdin, kChannel, std::string_view(buf, static_cast<size_t>(n)));
      return;
    }
    control_.send(Type::kStdin, kChannel, {});  // end of input
    stdin_open_ = false;
  }

  void check_deadlines() {
    if (stop_signal_ != 0 && Clock::now() >= stop_deadline_) return finish_stopped();
    if (qemu_ != nullptr && qemu_->poll_exit()) {
      // Take what the guest sent before QEMU went away, then give up.
      handle_control();
      if (!done_) finish_gone("QEMU " + qemu_->exit_status()->describe());
    }
  }

  void finish_exit(const std::string& payload) {
    proto::ExitStatus st;
    if (!proto::decode(payload, &st)) return finish_gone("malformed exit status");
    outcome_.exit_code = st.signaled ? 128 + st.code : st.code;
    outcome_.message = st.message;
    // A command that ended after bbox forwarded it a stop signal was
    // interrupted, even though it exited within the grace period.
    outcome_.stopped_by = stop_signal_;
    done_ = true;
  }

  void finish_gone(const std::string& why) {
    outcome_.guest_gone = true;
    outcome_.exit_code = 1;
    outcome_.message = why;
    done_ = true;
  }

  void finish_stopped() {
    outcome_.stopped_by = stop_signal_;
    outcome_.exit_code = 128 + stop_signal_;
    done_ = true;
  }

  ControlChannel& control_;
  ChildProcess* qemu_;
  SignalPipe& signals_;
  GuestLog& log_;
  BridgeIo io_;
  AttachRelay* relay_;
  AgentForwarder* agent_;

  bool done_ = false;
  bool stdin_open_ = false;
  bool stdout_broken_ = false;
  bool stderr_broken_ = false;
  int stop_signal_ = 0;
  Clock::time_point stop_deadline_;
  CommandOutcome outcome_;
};

int terminal_fd() {
  if (::isatty(STDIN_FILENO)) return STDIN_FILENO;
  if (::isatty(STDOUT_FILENO)) return STDOUT_FILENO;
  return -1;
}

}  // namespace

CommandOutcome run_with_user_terminal(proto::ExecRequest request, ControlChannel& control,
                                      ChildProcess* qemu, SignalPipe& signals, GuestLog& log,
                                      const BridgeServices& services) {
  BridgeIo io;
  io.tty_fd = request.tty ? terminal_fd() : -1;
  if (io.tty_fd >= 0) {
    if (auto size = terminal_size(io.tty_fd)) request.winsize = *size;
  }
  std::optional<RawTerminal> raw;
  if (request.tty && ::isatty(STDIN_FILENO)) {
    auto r = RawTerminal::enter(STDIN_FILENO);
    if (r) raw.emplace(std::move(*r));
  }
  return run_guest_command(request, control, qemu, signals, log, io, services);
}

CommandOutcome run_guest_command(const proto::ExecRequest& request, ControlChannel& control,
                                 ChildProcess* qemu, SignalPipe& signals, GuestLog& log,
                                 const BridgeIo& io, const BridgeServices& services) {
  Bridge bridge(control, qemu, signals, log, io, services);
  return bridge.run(request);
}

}  // namespace bbox::vm
