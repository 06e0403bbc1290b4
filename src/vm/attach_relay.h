// Second commands in a running session (`bbox attach`): the bbox that runs
// the VM listens on attach.sock in the session directory (mode 0600) and
// relays each client's exec to the guest on a channel of its own. A client
// speaks the control protocol as if it were alone: its command is channel 1;
// the relay maps that to a guest channel and back.
#pragma once

#include <poll.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include "bbox/common/result.h"
#include "bbox/common/unique_fd.h"
#include "vm/control_channel.h"

namespace bbox::vm {

class AttachRelay {
 public:
  // Guest channels of attached commands start here (below: the session's
  // own) and stay below proto::kFirstGuestChannel.
  static constexpr uint32_t kFirstChannel = 1000;
  // Output held for one client that does not read; past it the client's
  // command gets SIGHUP and the client is dropped.
  static constexpr size_t kMaxClientQueue = 8u << 20;

  // Listens at `socket`.
  static Result<std::unique_ptr<AttachRelay>> listen(const std::filesystem::path& socket,
                                                     ControlChannel& guest);
  ~AttachRelay();

  // Adds the descriptors to watch to `fds`; handle() takes them back.
  void add_poll_fds(std::vector<pollfd>& fds) const;
  void handle(const std::vector<pollfd>& fds, size_t first);
  // Passes a guest frame for an attached command to its client. False when
  // the frame's channel is not an attached command's.
  bool route_from_guest(const proto::Frame& f);
  size_t clients() const { return clients_.size(); }

 private:
  struct Client {
    std::unique_ptr<ControlChannel> conn;
    uint32_t channel = 0;  // guest channel once the client's Exec was sent
    bool done = false;
  };

  AttachRelay(std::filesystem::path socket, UniqueFd listener, ControlChannel& guest);
  void accept_client();
  void serve(Client& c);
  void forward_from_client(Client& c, const proto::Frame& f);
  void drop_finished();

  std::filesystem::path socket_;
  UniqueFd listener_;
  ControlChannel& guest_;
  std::vector<Client> clients_;
  uint32_t next_channel_ = kFirstChannel;
};

}  // namespace bbox::vm
