// The user's terminal while a guest command runs: raw mode that is restored
// on every way out, and the signals bbox reacts to delivered as bytes on a
// pipe so one poll loop can handle them with everything else.
#pragma once

#include <signal.h>
#include <termios.h>

#include <optional>
#include <vector>

#include "bbox/common/result.h"
#include "bbox/common/unique_fd.h"
#include "bbox/proto/protocol.h"

namespace bbox::vm {

// Puts a terminal into raw mode for as long as it lives. The saved settings
// are also restored by a handler on crash signals (SIGSEGV, SIGABRT, ...)
// before the signal takes its course, so a crash does not leave the user's
// shell unusable. One at a time per process.
class RawTerminal {
 public:
  RawTerminal() = default;
  RawTerminal(RawTerminal&& o) noexcept;
  RawTerminal& operator=(RawTerminal&&) = delete;
  RawTerminal(const RawTerminal&) = delete;
  ~RawTerminal();

  // Enters raw mode on `fd`, which must be a terminal.
  static Result<RawTerminal> enter(int fd);
  void restore();

 private:
  int fd_ = -1;
  termios saved_{};
};

// The terminal's current size, when `fd` is a terminal.
std::optional<proto::Winsize> terminal_size(int fd);

// Catches the listed signals for as long as it lives and reports each as one
// byte (the signal number) on a non-blocking pipe; the previous dispositions
// come back on destruction. SIGPIPE is ignored meanwhile, so a closed stdout
// shows up as EPIPE instead of killing bbox. One at a time per process.
class SignalPipe {
 public:
  static Result<SignalPipe> install(const std::vector<int>& signals);
  SignalPipe(SignalPipe&& o) noexcept;
  SignalPipe& operator=(SignalPipe&&) = delete;
  SignalPipe(const SignalPipe&) = delete;
  ~SignalPipe();

  int fd() const { return read_.get(); }
  // The signals that arrived since the last call, in order.
  std::vector<int> drain();

 private:
  SignalPipe() = default;
  UniqueFd read_;
  UniqueFd write_;
  std::vector<std::pair<int, struct sigaction>> previous_;
  bool active_ = false;
};

}  // namespace bbox::vm
