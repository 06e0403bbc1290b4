// The control loop: serves the host's requests on the control port until the
// session ends, then powers off. Single-threaded, driven by poll(2).
#pragma once

namespace bbox::guest {

// Finds the virtio-serial port named kControlPortName (waiting for it to
// appear), opens it and returns its fd, or -1.
int open_control_port();

// Sends Hello and runs until Shutdown, the end of the first (session) exec,
// or the host going away; then powers off. Never returns.
[[noreturn]] void serve(int control_fd);

}  // namespace bbox::guest
