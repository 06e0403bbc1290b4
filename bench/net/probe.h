// The two measurements of bench/net, shared by the host side and the static
// probe that runs inside the guest: time to download N bytes from a bulk
// server, and the median time of a TCP connect. Plain POSIX, no bbox code.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace bbox::net::probe {

inline double now_s() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

inline int connect_to(uint32_t addr, uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(addr);
  if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) return fd;
  if (fd >= 0) ::close(fd);
  return -1;
}

// Seconds from connect to the last of `bytes` bytes, or -1. Sends 'G' first.
inline double download(uint32_t addr, uint16_t port, uint64_t bytes) {
  double t0 = now_s();
  int fd = connect_to(addr, port);
  if (fd < 0 || ::send(fd, "G", 1, MSG_NOSIGNAL) != 1) return -1;
  std::vector<char> buf(1 << 20);
  uint64_t got = 0;
  while (got < bytes) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n <= 0) break;
    got += static_cast<uint64_t>(n);
  }
  ::close(fd);
  return got == bytes ? now_s() - t0 : -1;
}

// Mean milliseconds of `n` sequential connects, or -1. A mean over the
// whole run, because a guest under TCG may have a clock that ticks in
// milliseconds.
inline double connect_ms(uint32_t addr, uint16_t port, int n) {
  double t0 = now_s();
  for (int i = 0; i < n; ++i) {
    int fd = connect_to(addr, port);
    if (fd < 0) return -1;
    ::close(fd);
  }
  return (now_s() - t0) * 1000 / n;
}

}  // namespace bbox::net::probe
