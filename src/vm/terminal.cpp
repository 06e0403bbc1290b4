#include "vm/terminal.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <utility>

namespace bbox::vm {
namespace {

// State the async signal handlers read. Written only while no handler that
// reads it is installed, or atomically.
std::atomic<int> g_signal_write_fd{-1};
std::atomic<int> g_raw_fd{-1};
termios g_raw_saved{};

constexpr int kCrashSignals[] = {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL};

void on_signal(int sig) {
  int saved_errno = errno;
  int fd = g_signal_write_fd.load();
  unsigned char byte = static_cast<unsigned char>(sig);
  // Safety: write(2) is async-signal-safe; when the pipe is full the byte is
  // dropped, which only merges repeated signals.
  if (fd >= 0) {
    ssize_t unused = ::write(fd, &byte, 1);
    (void)unused;
  }
  errno = saved_errno;
}

void on_crash(int sig) {
  // Safety: tcsetattr is async-signal-safe. The handler was installed with
  // SA_RESETHAND, so re-raising runs the default action (core dump).
  int fd = g_raw_fd.load();
  if (fd >= 0) ::tcsetattr(fd, TCSAFLUSH, &g_raw_saved);
  ::raise(sig);
}

void install_crash_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_crash;
  sa.sa_flags = SA_RESETHAND;
  sigemptyset(&sa.sa_mask);
  for (int sig : kCrashSignals) ::sigaction(sig, &sa, nullptr);
}

}  // namespace

RawTerminal::RawTerminal(RawTerminal&& o) noexcept
    : fd_(std::exchange(o.fd_, -1)), saved_(o.saved_) {}

RawTerminal::~RawTerminal() { restore(); }

Result<RawTerminal> RawTerminal::enter(int fd) {
  RawTerminal t;
  if (::tcgetattr(fd, &t.saved_) != 0) return errno_error("read terminal settings", errno);
  termios raw = t.saved_;
  ::cfmakeraw(&raw);
  g_raw_saved = t.saved_;
  g_raw_fd.store(fd);
  install_crash_handlers();
  if (::tcsetattr(fd, TCSAFLUSH, &raw) != 0) {
    g_raw_fd.store(-1);
    return errno_error("set the terminal to raw mode", errno);
  }
  t.fd_ = fd;
  return t;
}

void RawTerminal::restore() {
  if (fd_ < 0) return;
  ::tcsetattr(fd_, TCSAFLUSH, &saved_);
  g_raw_fd.store(-1);
  fd_ = -1;
}

std::optional<proto::Winsize> terminal_size(int fd) {
  winsize ws{};
  // Safety: TIOCGWINSZ only fills the struct passed in.
  if (::ioctl(fd, TIOCGWINSZ, &ws) != 0) return std::nullopt;
  return proto::Winsize{ws.ws_row, ws.ws_col};
}

Result<SignalPipe> SignalPipe::install(const std::vector<int>& signals) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return errno_error("create pipe", errno);
  SignalPipe p;
  p.read_.reset(fds[0]);
  p.write_.reset(fds[1]);
  g_signal_write_fd.store(fds[1]);
  p.active_ = true;

  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  for (int sig : signals) {
    struct sigaction old {};
    ::sigaction(sig, &sa, &old);
    p.previous_.emplace_back(sig, old);
  }
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  struct sigaction old_pipe {};
  ::sigaction(SIGPIPE, &ignore, &old_pipe);
  p.previous_.emplace_back(SIGPIPE, old_pipe);
  return p;
}

SignalPipe::SignalPipe(SignalPipe&& o) noexcept
    : read_(std::move(o.read_)),
      write_(std::move(o.write_)),
      previous_(std::move(o.previous_)),
      active_(std::exchange(o.active_, false)) {}

SignalPipe::~SignalPipe() {
  if (!active_) return;
  for (auto& [sig, old] : previous_) ::sigaction(sig, &old, nullptr);
  g_signal_write_fd.store(-1);
}

std::vector<int> SignalPipe::drain() {
  std::vector<int> out;
  unsigned char buf[64];
  ssize_t n;
  while ((n = ::read(read_.get(), buf, sizeof(buf))) > 0) {
    for (ssize_t i = 0; i < n; ++i) out.push_back(buf[i]);
  }
  return out;
}

}  // namespace bbox::vm
