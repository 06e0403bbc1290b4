#include "vm/agent_forwarder.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "bbox/common/message.h"

namespace bbox::vm {
namespace {

using proto::Type;

// Sends what the agent takes now. False when the agent is gone.
bool write_agent(int fd, std::string& pending) {
  while (!pending.empty()) {
    ssize_t n = ::send(fd, pending.data(), pending.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    if (n <= 0) return false;
    pending.erase(0, static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

Result<UniqueFd> connect_unix_nonblocking(const std::filesystem::path& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string& s = path.native();
  if (s.size() >= sizeof addr.sun_path) return Error{"connect to '" + s + "': path too long"};
  std::memcpy(addr.sun_path, s.c_str(), s.size() + 1);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) return errno_error("create socket", errno);
  int r;
  do {
    r = ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  } while (r != 0 && errno == EINTR);
  // A unix stream connect completes at once or fails (EAGAIN: backlog full).
  if (r != 0) return errno_error("connect to '" + s + "'", errno);
  return fd;
}

AgentForwarder::AgentForwarder(std::filesystem::path agent_socket, ControlChannel& guest)
    : socket_(std::move(agent_socket)), guest_(guest) {}

void AgentForwarder::add_poll_fds(std::vector<pollfd>& fds) {
  polled_.clear();
  bool room = guest_.queued() < kMaxControlQueue;
  for (auto& [channel, s] : streams_) {
    short events = static_cast<short>((!s.guest_closed && room ? POLLIN : 0) |
                                      (s.pending.empty() ? 0 : POLLOUT));
    fds.push_back({s.agent.get(), events, 0});
    polled_.push_back(channel);
  }
}

void AgentForwarder::handle(const std::vector<pollfd>& fds, size_t first) {
  for (size_t i = 0; i < polled_.size() && first + i < fds.size(); ++i) {
    short rev = fds[first + i].revents;
    auto it = streams_.find(polled_[i]);
    // The stream may have closed, and even been refused, since the poll.
    if (rev == 0 || it == streams_.end() || it->second.agent.get() != fds[first + i].fd) continue;
    Stream& s = it->second;
    bool agent_ok = !(rev & POLLOUT) || write_agent(s.agent.get(), s.pending);
    if (!agent_ok) {
      close_stream(polled_[i], !s.guest_closed);
    } else if (s.guest_closed && s.pending.empty()) {
      close_stream(polled_[i], false);
    } else if (rev & (POLLIN | POLLHUP | POLLERR)) {
      read_agent(polled_[i], s);
    }
  }
  polled_.clear();
}

bool AgentForwarder::route_from_guest(const proto::Frame& f) {
  if (f.type != Type::kStreamOpen && f.type != Type::kStreamData && f.type != Type::kStreamClose) {
    return false;
  }
  // Only the guest's own channel range carries streams; anything else is
  // taken and dropped.
  if (f.channel < proto::kFirstGuestChannel) return true;
  if (f.type == Type::kStreamOpen) open_stream(f.channel, f.payload);
  if (f.type == Type::kStreamData) data_from_guest(f.channel, f.payload);
  if (f.type == Type::kStreamClose) close_from_guest(f.channel);
  return true;
}

void AgentForwarder::open_stream(uint32_t channel, const std::string& payload) {
  if (!payload.empty() || streams_.count(channel) != 0 || streams_.size() >= kMaxStreams) {
    if (streams_.count(channel) != 0) streams_.erase(channel);  // a reused id: end both
    return refuse(channel);
  }
  auto fd = connect_unix_nonblocking(socket_);
  if (!fd) {
    if (!warned_) {
      ui::warning("forward the SSH agent: {}; the guest gets no keys this session",
                  fd.error().message);
      warned_ = true;
    }
    return refuse(channel);
  }
  streams_[channel].agent = std::move(*fd);
}

void AgentForwarder::data_from_guest(uint32_t channel, const std::string& data) {
  auto it = streams_.find(channel);
  if (it == streams_.end() || it->second.guest_closed) return;  // closed here meanwhile
  Stream& s = it->second;
  // Empty data is malformed; more than the agent has room for is a guest
  // flooding us: both end the stream.
  if (data.empty() || s.pending.size() + data.size() > kMaxPending) {
    return close_stream(channel, true);
  }
  s.pending += data;
  if (!write_agent(s.agent.get(), s.pending)) close_stream(channel, true);
}

void AgentForwarder::close_from_guest(uint32_t channel) {
  auto it = streams_.find(channel);
  if (it == streams_.end()) return;
  it->second.guest_closed = true;
  bool agent_ok = write_agent(it->second.agent.get(), it->second.pending);
  if (!agent_ok || it->second.pending.empty()) close_stream(channel, false);
}

void AgentForwarder::read_agent(uint32_t channel, Stream& s) {
  char buf[kReadChunk];
  ssize_t n = ::read(s.agent.get(), buf, sizeof buf);
  if (n > 0) {
    guest_.send(Type::kStreamData, channel, std::string_view(buf, static_cast<size_t>(n)));
    return;
  }
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
  close_stream(channel, !s.guest_closed);  // the agent closed the connection
}

void AgentForwarder::refuse(uint32_t channel) {
  // A guest that opens streams without reading our answers gets no more of
  // them once the control channel is full: its connections then hang, but
  // our queue stays bounded.
  if (guest_.queued() < kMaxControlQueue) guest_.send(Type::kStreamClose, channel, {});
}

void AgentForwarder::close_stream(uint32_t channel, bool tell_guest) {
  streams_.erase(channel);
  if (tell_guest) guest_.send(Type::kStreamClose, channel, {});
}

}  // namespace bbox::vm
