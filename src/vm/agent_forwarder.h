// The host end of SSH agent forwarding. bbox-init listens on the guest's
// agent socket (after kAgentListen) and announces each connection as a stream
// on a guest channel; the forwarder connects each stream to the user's agent
// socket and relays bytes both ways until either side closes (protocol.h).
// Keys stay in the user's agent: only agent requests and replies cross.
//
// Everything here is driven by the guest, so it is bounded: at most
// kMaxStreams streams at once, at most kMaxPending bytes per stream waiting
// for the agent (past that the stream is closed), agents are not read while
// the control channel holds kMaxControlQueue bytes for the guest, and an
// agent that cannot be reached is one warning per forwarder (per session),
// not one per connection.
#pragma once

#include <poll.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <vector>

#include "bbox/common/unique_fd.h"
#include "vm/control_channel.h"

namespace bbox::vm {

class AgentForwarder {
 public:
  static constexpr size_t kMaxStreams = 16;
  // A few of the largest agent messages (OpenSSH caps one at 256 KiB).
  static constexpr size_t kMaxPending = 1u << 20;
  static constexpr size_t kMaxControlQueue = 1u << 20;
  static constexpr size_t kReadChunk = 16 * 1024;

  // `agent_socket` is the user's agent ($SSH_AUTH_SOCK); `guest` must
  // outlive this object. Connections are made when the guest opens streams.
  AgentForwarder(std::filesystem::path agent_socket, ControlChannel& guest);

  // Adds the agent connections to watch to `fds`; handle() takes them back.
  void add_poll_fds(std::vector<pollfd>& fds);
  void handle(const std::vector<pollfd>& fds, size_t first);
  // Takes a stream frame from the guest (kStreamOpen, kStreamData,
  // kStreamClose). False when `f` is not one, so the caller handles it.
  bool route_from_guest(const proto::Frame& f);

  size_t streams() const { return streams_.size(); }
  bool warned() const { return warned_; }

 private:
  struct Stream {
    UniqueFd agent;
    std::string pending;        // from the guest, not yet taken by the agent
    bool guest_closed = false;  // close once pending is written
  };

  void open_stream(uint32_t channel, const std::string& payload);
  void data_from_guest(uint32_t channel, const std::string& data);
  void close_from_guest(uint32_t channel);
  void read_agent(uint32_t channel, Stream& s);
  void refuse(uint32_t channel);
  void close_stream(uint32_t channel, bool tell_guest);

  std::filesystem::path socket_;
  ControlChannel& guest_;
  std::map<uint32_t, Stream> streams_;
  std::vector<uint32_t> polled_;  // channel per pollfd handed out
  bool warned_ = false;
};

// Connects to the unix socket at `path` without blocking: a listener whose
// backlog is full is a failure, not a wait.
Result<UniqueFd> connect_unix_nonblocking(const std::filesystem::path& path);

}  // namespace bbox::vm
