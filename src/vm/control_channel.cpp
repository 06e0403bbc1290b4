#include "vm/control_channel.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

namespace bbox::vm {

ControlChannel::ControlChannel(UniqueFd fd) : fd_(std::move(fd)) {
  int flags = ::fcntl(fd_.get(), F_GETFL);
  if (flags >= 0) ::fcntl(fd_.get(), F_SETFL, flags | O_NONBLOCK);
}

void ControlChannel::send(proto::Type type, uint32_t channel, std::string_view payload) {
  out_ += proto::encode_frame(type, channel, payload);
  flush();
}

bool ControlChannel::flush() {
  while (!out_.empty() && !broken_) {
    ssize_t n = ::send(fd_.get(), out_.data(), out_.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n <= 0) {
      broken_ = true;
      break;
    }
    out_.erase(0, static_cast<size_t>(n));
  }
  return !broken_;
}

bool ControlChannel::read_available() {
  char buf[65536];
  while (!broken_) {
    ssize_t n = ::read(fd_.get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n <= 0) {
      broken_ = true;
      break;
    }
    reader_.feed(buf, static_cast<size_t>(n));
    if (reader_.failed()) broken_ = true;
  }
  return !broken_;
}

std::optional<proto::Frame> ControlChannel::next() {
  std::optional<proto::Frame> f = reader_.next();
  if (reader_.failed()) broken_ = true;
  return f;
}

bool ControlChannel::drain(int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (wants_write() && flush()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_.get(), POLLOUT, 0};
    ::poll(&p, 1, static_cast<int>(left.count()));
  }
  return !wants_write();
}

}  // namespace bbox::vm
