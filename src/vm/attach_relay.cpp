#include "vm/attach_relay.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>

#include "bbox/common/message.h"
#include "vm/unix_socket.h"

namespace bbox::vm {

using proto::Type;

AttachRelay::AttachRelay(std::filesystem::path socket, UniqueFd listener, ControlChannel& guest)
    : socket_(std::move(socket)), listener_(std::move(listener)), guest_(guest) {}

AttachRelay::~AttachRelay() { ::unlink(socket_.c_str()); }

Result<std::unique_ptr<AttachRelay>> AttachRelay::listen(const std::filesystem::path& socket,
                                                         ControlChannel& guest) {
  auto fd = listen_unix(socket, 0600);
  if (!fd) return fd.error().wrap("open the attach socket");
  return std::unique_ptr<AttachRelay>(new AttachRelay(socket, std::move(*fd), guest));
}

void AttachRelay::add_poll_fds(std::vector<pollfd>& fds) const {
  fds.push_back({listener_.get(), POLLIN, 0});
  for (const auto& c : clients_) {
    short events = POLLIN | (c.conn->wants_write() ? POLLOUT : 0);
    fds.push_back({c.conn->fd(), events, 0});
  }
}

void AttachRelay::handle(const std::vector<pollfd>& fds, size_t first) {
  // Clients first: accepting may grow clients_ past what was polled.
  size_t n = std::min(clients_.size(), fds.size() - first - 1);
  for (size_t i = 0; i < n; ++i) {
    if (fds[first + 1 + i].revents != 0) serve(clients_[i]);
  }
  if (fds[first].revents != 0) accept_client();
  drop_finished();
}

void AttachRelay::accept_client() {
  auto fd = accept_with_timeout(listener_.get(), std::chrono::milliseconds(0));
  if (!fd || !fd->valid()) return;
  Client c;
  c.conn = std::make_unique<ControlChannel>(std::move(*fd));
  clients_.push_back(std::move(c));
}

void AttachRelay::serve(Client& c) {
  bool alive = c.conn->read_available() && c.conn->flush();
  while (auto f = c.conn->next()) forward_from_client(c, *f);
  if (alive && !c.conn->broken()) return;
  // The client went away: its command loses its terminal, as with a hang-up.
  if (c.channel != 0 && !c.done) {
    guest_.send(Type::kSignal, c.channel, proto::encode_u32(SIGHUP));
  }
  c.done = true;
}

void AttachRelay::forward_from_client(Client& c, const proto::Frame& f) {
  if (c.channel == 0) {
    if (f.type != Type::kExec) return;  // an Exec must come first
    // Attached commands are few; the guest's range is never reached.
    if (next_channel_ >= proto::kFirstGuestChannel) return;
    c.channel = next_channel_++;
    guest_.send(Type::kExec, c.channel, f.payload);
    return;
  }
  if (f.type == Type::kStdin || f.type == Type::kResize || f.type == Type::kSignal) {
    guest_.send(f.type, c.channel, f.payload);
  }
}

bool AttachRelay::route_from_guest(const proto::Frame& f) {
  if (f.channel < kFirstChannel || f.channel >= proto::kFirstGuestChannel) return false;
  for (auto& c : clients_) {
    if (c.channel != f.channel || c.done) continue;
    c.conn->send(f.type, 1, f.payload);
    if (f.type == Type::kExit) {
      c.conn->drain(1000);
      c.done = true;
    } else if (c.conn->queued() > kMaxClientQueue) {
      // The guest writes faster than the client reads (a stopped client, a
      // paused pager): rather than hold the guest's output without bound,
      // hang the command up, as a terminal that went away would.
      ui::warning("hung up an attached command: its client fell {} MiB behind its output",
                  kMaxClientQueue >> 20);
      guest_.send(Type::kSignal, c.channel, proto::encode_u32(SIGHUP));
      c.done = true;
    }
  }
  drop_finished();
  return true;
}

void AttachRelay::drop_finished() {
  clients_.erase(
      std::remove_if(clients_.begin(), clients_.end(), [](const Client& c) { return c.done; }),
      clients_.end());
}

}  // namespace bbox::vm
