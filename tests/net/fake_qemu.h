// The QEMU end of the switch's stream socket, for tests without a VM: sends
// and receives length-prefixed Ethernet frames.
#pragma once

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <optional>
#include <vector>

#include "bbox/common/unique_fd.h"
#include "bbox/net/packet.h"

namespace bbox::net::test {

class FakeQemu {
 public:
  explicit FakeQemu(const std::filesystem::path& socket) {
    fd_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, socket.c_str(), sizeof a.sun_path - 1);
    connected_ = ::connect(fd_.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  bool connected() const { return connected_; }
  int fd() const { return fd_.get(); }

  void send_raw(const std::vector<uint8_t>& bytes) {
    (void)::send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
  }
  void send(const std::vector<uint8_t>& frame) {
    uint32_t n = static_cast<uint32_t>(frame.size());
    std::vector<uint8_t> out{uint8_t(n >> 24), uint8_t(n >> 16), uint8_t(n >> 8), uint8_t(n)};
    out.insert(out.end(), frame.begin(), frame.end());
    send_raw(out);
  }

  // The next frame, or nullopt after `timeout_ms` or when the switch hung up.
  std::optional<std::vector<uint8_t>> receive(int timeout_ms) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (true) {
      if (buf_.size() >= 4) {
        size_t len = size_t{buf_[0]} << 24 | size_t{buf_[1]} << 16 | size_t{buf_[2]} << 8 | buf_[3];
        if (buf_.size() >= 4 + len) {
          std::vector<uint8_t> frame(buf_.begin() + 4, buf_.begin() + 4 + len);
          buf_.erase(buf_.begin(), buf_.begin() + 4 + len);
          return frame;
        }
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd p{fd_.get(), POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) != 1) {
        return std::nullopt;
      }
      uint8_t chunk[65536];
      ssize_t n = ::read(fd_.get(), chunk, sizeof chunk);
      if (n <= 0) {
        hung_up_ = true;
        return std::nullopt;
      }
      buf_.insert(buf_.end(), chunk, chunk + n);
    }
  }

  // Frames until one satisfies `want`; nullopt on timeout.
  std::optional<ParsedFrame> wait_for(const std::function<bool(const ParsedFrame&)>& want,
                                      int timeout_ms, std::vector<uint8_t>* raw = nullptr) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
      auto frame = receive(50);
      if (!frame) {
        if (hung_up_) return std::nullopt;
        continue;
      }
      held_ = std::move(*frame);
      auto f = parse_frame(held_);
      if (f && want(*f)) {
        if (raw) *raw = held_;
        return f;
      }
    }
    return std::nullopt;
  }
  bool hung_up() const { return hung_up_; }

 private:
  UniqueFd fd_;
  bool connected_ = false;
  bool hung_up_ = false;
  std::vector<uint8_t> buf_;
  std::vector<uint8_t> held_;  // the frame the last ParsedFrame views point into
};

}  // namespace bbox::net::test
