// Reporting from PID 1: every line goes to the console (ttyS0, which the host
// keeps as console.log) and, once the control port is open, to the host as a
// kLog frame. PID 1 must never exit (the kernel would panic), so fatal errors
// end in power_off().
#pragma once

#include <cstdint>
#include <string_view>

#include "bbox/proto/protocol.h"

namespace bbox::guest {

// Makes `fd` (the control port) the destination of send_frame and log.
void set_control_fd(int fd);
int control_fd();

// Writes one whole frame to the control port. False if the port is not open
// or the host is gone.
bool send_frame(proto::Type type, uint32_t channel, std::string_view payload);

// printf-style line to the console and the host (channel 0).
void log(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

// Logs, syncs and powers off. Never returns.
[[noreturn]] void fatal(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

// Syncs file systems (the workspace's writes reach the host) and powers off.
[[noreturn]] void power_off();

// Milliseconds on the monotonic clock.
int64_t now_ms();

}  // namespace bbox::guest
