#include "log.h"

#include <poll.h>
#include <sys/reboot.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <string>

namespace bbox::guest {
namespace {

int g_control_fd = -1;

// Writes everything to `fd`. For the control port (non-blocking) it waits
// while the host is slow to read, and gives up once the host is gone: a
// virtio-serial write with no host connected would block forever, and the
// port then polls as POLLHUP.
bool write_all(int fd, const char* data, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, data, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EAGAIN) {
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, -1) < 0 && errno != EINTR) return false;
      if ((p.revents & POLLOUT) == 0 && (p.revents & (POLLHUP | POLLERR)) != 0) return false;
      continue;
    }
    if (w <= 0) return false;
    data += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

void vlog(const char* fmt, va_list ap) {
  char buf[1024];
  int n = std::vsnprintf(buf, sizeof buf, fmt, ap);
  if (n < 0) return;
  std::string line(buf, std::min<size_t>(static_cast<size_t>(n), sizeof buf - 1));
  std::string console = "bbox-init: " + line + "\n";
  write_all(STDERR_FILENO, console.data(), console.size());
  send_frame(proto::Type::kLog, 0, line);
}

}  // namespace

void set_control_fd(int fd) { g_control_fd = fd; }
int control_fd() { return g_control_fd; }

bool send_frame(proto::Type type, uint32_t channel, std::string_view payload) {
  if (g_control_fd < 0) return false;
  std::string frame = proto::encode_frame(type, channel, payload);
  return write_all(g_control_fd, frame.data(), frame.size());
}

void log(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vlog(fmt, ap);
  va_end(ap);
}

void fatal(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vlog(fmt, ap);
  va_end(ap);
  power_off();
}

void power_off() {
  ::sync();
  // PID 1 ending the machine. With ACPI, RB_POWER_OFF stops QEMU. Without it
  // the kernel would only halt (QEMU keeps running), so reboot instead: QEMU
  // started with -no-reboot exits on the reset. PID 1 must never return.
  if (::access("/sys/firmware/acpi", F_OK) == 0) ::reboot(RB_POWER_OFF);
  ::reboot(RB_AUTOBOOT);
  for (;;) ::pause();
}

int64_t now_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

}  // namespace bbox::guest
