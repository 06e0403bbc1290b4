// The running commands, one per channel, and their output pumping.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>

#include "bbox/common/unique_fd.h"
#include "bbox/proto/protocol.h"

namespace bbox::guest {

struct Command {
  pid_t pid = -1;
  bool tty = false;
  UniqueFd input;             // PTY master or stdin pipe, non-blocking
  UniqueFd output;            // PTY master or stdout pipe
  UniqueFd errors;            // stderr pipe (pipes only)
  std::string pending_input;  // bytes from the host not yet written
  bool close_input = false;   // the host sent end of input
  bool reaped = false;
  int wait_status = 0;
  int64_t drain_until_ms = 0;  // after reaping, how long to wait for output EOF
  std::string start_error;
  uint64_t oom_kills_at_start = 0;
};

// Reads what is available from `fd` and forwards it as `type` frames on
// `channel`; closes `fd` at end of file or error.
void pump_output(UniqueFd* fd, proto::Type type, uint32_t channel);

// Writes pending input; closes the pipe when the host ended the input.
void pump_input(Command* c);

// The ExitStatus frame for a finished command.
proto::ExitStatus exit_status_of(const Command& c, uint64_t oom_kills_now);

}  // namespace bbox::guest
