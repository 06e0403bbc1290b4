// Starting one command for an Exec request: a new session and process group,
// a PTY or pipes, the requested user, working directory and environment.
#pragma once

#include <sys/types.h>

#include <string>

#include "bbox/common/unique_fd.h"
#include "bbox/proto/protocol.h"

namespace bbox::guest {

struct Spawned {
  pid_t pid = -1;  // -1: the command could not be started at all
  // With a PTY, `input` and `output` are both the master (dup'ed), `errors`
  // is empty. With pipes, the parent's ends of stdin, stdout and stderr. All
  // non-blocking and close-on-exec.
  UniqueFd input;
  UniqueFd output;
  UniqueFd errors;
  // When the child could not exec: the message ("foo: command not found")
  // and the exit code it ended with (127 not found, 126 other failures).
  std::string start_error;
};

// Forks and execs `req`. The child is reaped by the caller's SIGCHLD loop.
// `agent_socket`: see command_env.
Spawned spawn(const proto::ExecRequest& req, const std::string& agent_socket = "");

// The environment the command gets: `req.env` plus PATH, HOME, USER and
// LOGNAME (and TERM with a tty) when the request does not set them. With a
// non-empty `agent_socket` (the guest's forwarded SSH agent), SSH_AUTH_SOCK
// names it, replacing any value in the request: a host path forwarded with
// the environment means nothing in the guest.
std::vector<std::string> command_env(const proto::ExecRequest& req,
                                     const std::string& agent_socket = "");

}  // namespace bbox::guest
