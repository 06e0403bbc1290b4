// The guest end of SSH agent forwarding: a unix socket the sandbox user's
// programs connect to (SSH_AUTH_SOCK), each connection relayed to the host as
// a stream on a guest channel (kStreamOpen, kStreamData, kStreamClose; see
// protocol.h). The host connects each stream to the user's agent; no key ever
// enters the guest.
#pragma once

#include <poll.h>
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "bbox/common/unique_fd.h"
#include "bbox/proto/protocol.h"

namespace bbox::guest {

// Where bbox-init listens; vm.h's kGuestSshAgentSocket (a test checks).
inline constexpr const char* kAgentSocketPath = "/run/bbox/ssh-agent.sock";

class AgentSocket {
 public:
  static constexpr size_t kMaxStreams = 16;
  // Bytes from the host not yet taken by the client; past it the stream is
  // closed (the host sends agent replies, which are small).
  static constexpr size_t kMaxPending = 1u << 20;

  // Listens at `path`: its directory is created 0700 and owned by uid:gid,
  // the socket 0600 owned by uid:gid. False with the reason in *error.
  bool listen(const std::string& path, uid_t uid, gid_t gid, std::string* error);
  bool listening() const { return listener_.valid(); }
  const std::string& path() const { return path_; }

  // Adds the descriptors to watch; handle() takes them back.
  void add_poll_fds(std::vector<pollfd>& fds);
  void handle(const std::vector<pollfd>& fds, size_t first);
  // A stream frame from the host. False when `f` is not one.
  bool from_host(const proto::Frame& f);
  size_t streams() const { return streams_.size(); }

 private:
  struct Stream {
    UniqueFd fd;
    std::string pending;       // from the host, not yet written to the client
    bool host_closed = false;  // close once pending is written
  };

  void accept_client();
  void read_client(uint32_t channel, Stream& s);
  void write_client(Stream& s);
  void close_stream(uint32_t channel, bool tell_host);

  std::string path_;
  UniqueFd listener_;
  std::map<uint32_t, Stream> streams_;
  std::vector<uint32_t> polled_;  // channel per pollfd after the listener
  uint32_t next_channel_ = proto::kFirstGuestChannel;
  bool refused_any_ = false;
};

}  // namespace bbox::guest
