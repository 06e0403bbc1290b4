#include "channels.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "log.h"

namespace bbox::guest {

void pump_output(UniqueFd* fd, proto::Type type, uint32_t channel) {
  char buf[64 * 1024];
  for (int round = 0; round < 4 && fd->valid(); ++round) {
    ssize_t n = ::read(fd->get(), buf, sizeof buf);
    if (n > 0) {
      send_frame(type, channel, std::string_view(buf, static_cast<size_t>(n)));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    // 0: end of the pipe. EIO: a PTY master whose slave side is all closed.
    fd->reset();
  }
}

void pump_input(Command* c) {
  while (!c->pending_input.empty() && c->input.valid()) {
    ssize_t n = ::write(c->input.get(), c->pending_input.data(), c->pending_input.size());
    if (n > 0) {
      c->pending_input.erase(0, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    c->input.reset();  // the command closed its input (EPIPE): drop what is left
    c->pending_input.clear();
  }
  // A PTY has no end of input other than the user's ^D; only pipes close.
  if (c->pending_input.empty() && c->close_input && !c->tty) c->input.reset();
}

proto::ExitStatus exit_status_of(const Command& c, uint64_t oom_kills_now) {
  proto::ExitStatus st;
  st.message = c.start_error;
  if (WIFSIGNALED(c.wait_status)) {
    st.signaled = true;
    st.code = WTERMSIG(c.wait_status);
    if (st.code == SIGKILL && oom_kills_now != c.oom_kills_at_start) {
      st.message =
          "out of memory: the guest kernel killed a process of this command "
          "(give the VM more with --memory)";
    }
  } else {
    st.code = WEXITSTATUS(c.wait_status);
  }
  return st;
}

}  // namespace bbox::guest
